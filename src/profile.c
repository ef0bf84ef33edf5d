/* SPDX-License-Identifier: BSD-2-Clause */
/* Command profiles: the built-in sets of TPM commands a socket's clients may
 * send, custom sets built from configuration, and the check of one command's
 * bytes against a set (pure; man/profiles.inc.txt documents the lists). */
#include "profile.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <tss2/tss2_tpm2_types.h>

#include "frame.h"

/* Command indices below this, with the vendor bit clear, live in a table;
 * TPM2 Part 2, 6.5.2 assigns 0x11f..0x1a1 so far. Anything else a custom
 * profile names (vendor commands, bit 29) lives in a sorted array. */
#define PROFILE_INDEX_LIMIT 0x200
/* TPM_CC: commandIndex in bits 15:0, V in bit 29, the rest reserved
 * (TPM2 Part 2, 6.5.1). */
#define PROFILE_CC_VALID_BITS 0x2000ffffu

/* Hierarchies under which a profile lets clients create primary objects. */
#define PROFILE_HIER_OWNER 0x1u
#define PROFILE_HIER_ENDORSEMENT 0x2u
#define PROFILE_HIER_PLATFORM 0x4u
#define PROFILE_HIER_NULL 0x8u
#define PROFILE_HIER_ALL 0xfu

struct profile {
	char name[PROFILE_NAME_MAX + 1];
	bool owned; /* from profile_build; built-ins are static */
	unsigned primary_hierarchies;
	bool allowed[PROFILE_INDEX_LIMIT];
	size_t nother;   /* codes outside the table, sorted, unique */
	uint32_t *other;
};

#define ALLOW(cc) .allowed[TPM2_CC_##cc] = true,

/* readonly: reads of TPM state, hashing, and the client's own contexts and
 * sessions. Handle-touching commands (ContextSave/Load, FlushContext,
 * GetCapability's handle lists) reach only the client's own handles; the
 * resource manager sees to that. Policy commands here only assert state
 * into the caller's own session, so they can satisfy nothing this profile
 * does not already allow; PolicySecret is left out because it can aim at
 * any entity, lockoutAuth included, and a wrong guess there locks out
 * lockoutAuth for everyone (TPM2 Part 1, "Dictionary Attack Protection"). */
#define PROFILE_READONLY \
	ALLOW(GetCapability) \
	ALLOW(GetTestResult) \
	ALLOW(TestParms) \
	ALLOW(ECC_Parameters) \
	ALLOW(ReadClock) \
	ALLOW(GetRandom) \
	ALLOW(PCR_Read) \
	ALLOW(ReadPublic) \
	ALLOW(NV_ReadPublic) \
	ALLOW(NV_Read) \
	ALLOW(Hash) \
	ALLOW(HashSequenceStart) \
	ALLOW(SequenceUpdate) \
	ALLOW(SequenceComplete) \
	ALLOW(ContextSave) \
	ALLOW(ContextLoad) \
	ALLOW(FlushContext) \
	ALLOW(StartAuthSession) \
	ALLOW(PolicyRestart) \
	ALLOW(PolicyGetDigest) \
	ALLOW(PolicyPCR) \
	ALLOW(PolicyCommandCode) \
	ALLOW(PolicyCpHash) \
	ALLOW(PolicyNameHash) \
	ALLOW(PolicyLocality) \
	ALLOW(PolicyCounterTimer) \
	ALLOW(PolicyAuthValue) \
	ALLOW(PolicyPassword) \
	ALLOW(PolicyOR) \
	ALLOW(PolicyNV) \
	ALLOW(PolicyNvWritten) \
	ALLOW(PolicyTemplate) \
	ALLOW(PolicyAuthorizeNV)

/* Shared by attest and crypto: transient keys (primaries only under the
 * profile's hierarchies), and the rest of the policy commands, which change
 * only the caller's session. */
#define PROFILE_KEYS \
	ALLOW(CreatePrimary) \
	ALLOW(Create) \
	ALLOW(Load) \
	ALLOW(CreateLoaded) \
	ALLOW(LoadExternal) \
	ALLOW(Commit) \
	ALLOW(PolicySecret) \
	ALLOW(PolicySigned) \
	ALLOW(PolicyTicket) \
	ALLOW(PolicyAuthorize) \
	ALLOW(PolicyDuplicationSelect) \
	ALLOW(PolicyPhysicalPresence) \
	ALLOW(Policy_AC_SendSelect)

/* attest only: credential activation and signed attestation structures
 * (TPM2 Part 3, 12.5, 12.6 and chapter 18). */
#define PROFILE_ATTEST \
	ALLOW(ActivateCredential) \
	ALLOW(MakeCredential) \
	ALLOW(Quote) \
	ALLOW(Certify) \
	ALLOW(CertifyCreation) \
	ALLOW(CertifyX509) \
	ALLOW(NV_Certify) \
	ALLOW(GetTime) \
	ALLOW(GetSessionAuditDigest) \
	ALLOW(GetCommandAuditDigest)

/* crypto only: operations with the client's own keys. Duplicate and Rewrap
 * succeed only for objects whose creator allowed it in their policy. */
#define PROFILE_CRYPTO \
	ALLOW(Sign) \
	ALLOW(VerifySignature) \
	ALLOW(RSA_Encrypt) \
	ALLOW(RSA_Decrypt) \
	ALLOW(ECDH_KeyGen) \
	ALLOW(ECDH_ZGen) \
	ALLOW(ZGen_2Phase) \
	ALLOW(EC_Ephemeral) \
	ALLOW(EncryptDecrypt) \
	ALLOW(EncryptDecrypt2) \
	ALLOW(HMAC) \
	ALLOW(HMAC_Start) \
	ALLOW(Unseal) \
	ALLOW(ObjectChangeAuth) \
	ALLOW(Import) \
	ALLOW(Duplicate) \
	ALLOW(Rewrap) \
	ALLOW(StirRandom)

/* full only: state every client shares — NV indices, persistent handles,
 * PCRs, clock, dictionary-attack lockout, audit, self tests. Left out of
 * every profile: the hierarchy commands of TPM2 Part 3, chapter 24 but
 * CreatePrimary (Clear, ClearControl, HierarchyControl, HierarchyChangeAuth,
 * SetPrimaryPolicy, ChangePPS, ChangeEPS), DictionaryAttackParameters
 * (chapter 25), Startup and Shutdown (9.3, 9.4), the field-upgrade
 * commands (chapter 27) and vendor commands: only a profile naming them in
 * allow permits them. */
#define PROFILE_FULL \
	ALLOW(NV_UndefineSpaceSpecial) \
	ALLOW(EvictControl) \
	ALLOW(NV_UndefineSpace) \
	ALLOW(ClockSet) \
	ALLOW(NV_DefineSpace) \
	ALLOW(PCR_Allocate) \
	ALLOW(PCR_SetAuthPolicy) \
	ALLOW(PP_Commands) \
	ALLOW(ClockRateAdjust) \
	ALLOW(NV_GlobalWriteLock) \
	ALLOW(NV_Increment) \
	ALLOW(NV_SetBits) \
	ALLOW(NV_Extend) \
	ALLOW(NV_Write) \
	ALLOW(NV_WriteLock) \
	ALLOW(DictionaryAttackLockReset) \
	ALLOW(NV_ChangeAuth) \
	ALLOW(PCR_Event) \
	ALLOW(PCR_Reset) \
	ALLOW(SetAlgorithmSet) \
	ALLOW(SetCommandCodeAuditStatus) \
	ALLOW(IncrementalSelfTest) \
	ALLOW(SelfTest) \
	ALLOW(NV_ReadLock) \
	ALLOW(EventSequenceComplete) \
	ALLOW(PCR_Extend) \
	ALLOW(PCR_SetAuthValue) \
	ALLOW(AC_GetCapability) \
	ALLOW(AC_Send) \
	ALLOW(ACT_SetTimeout)

/* Hierarchy rules: attest may create primaries only under the endorsement
 * hierarchy (EK and AK templates); crypto only under owner (storage keys)
 * and null (ephemeral keys gone at the next TPM Reset). Each list appears
 * once per initializer, so -Woverride-init catches a code listed twice. */
static const struct profile profile_builtins[] = {
	{ .name = "readonly", .primary_hierarchies = 0,
	  PROFILE_READONLY },
	{ .name = "attest", .primary_hierarchies = PROFILE_HIER_ENDORSEMENT,
	  PROFILE_READONLY PROFILE_KEYS PROFILE_ATTEST },
	{ .name = "crypto",
	  .primary_hierarchies = PROFILE_HIER_OWNER | PROFILE_HIER_NULL,
	  PROFILE_READONLY PROFILE_KEYS PROFILE_CRYPTO },
	{ .name = "full", .primary_hierarchies = PROFILE_HIER_ALL,
	  PROFILE_READONLY PROFILE_KEYS PROFILE_ATTEST PROFILE_CRYPTO
	  PROFILE_FULL },
};

#define PROFILE_NBUILTINS (sizeof(profile_builtins) / sizeof(profile_builtins[0]))

/* The shared built-in profile of that name, or NULL. */
const struct profile *
profile_builtin(const char *name)
{
	for (size_t i = 0; i < PROFILE_NBUILTINS; i++)
		if (strcmp(profile_builtins[i].name, name) == 0)
			return &profile_builtins[i];
	return NULL;
}

/* The profile's name, as configured. */
const char *
profile_name(const struct profile *p)
{
	return p->name;
}

/* A short name for a verdict, for logs and the audit record. */
const char *
profile_verdict_name(uint32_t why)
{
	switch (why) {
	case PROFILE_ALLOWED:
		return "allowed";
	case PROFILE_DENY_COMMAND:
		return "command";
	case PROFILE_DENY_HIERARCHY:
		return "hierarchy";
	case PROFILE_DENY_MALFORMED:
		return "malformed";
	}
	return "unknown";
}

/* Whether code is kept in the table (true) or the sorted array. */
static bool
profile_in_table(uint32_t code)
{
	return code < PROFILE_INDEX_LIMIT;
}

/* Index of code in a sorted array, or n when absent. */
static size_t
profile_find(const uint32_t *codes, size_t n, uint32_t code)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (codes[mid] == code)
			return mid;
		if (codes[mid] < code)
			lo = mid + 1;
		else
			hi = mid;
	}
	return n;
}

/* Whether the profile lets clients send this command code at all. */
bool
profile_has_code(const struct profile *p, uint32_t code)
{
	if (profile_in_table(code))
		return p->allowed[code];
	return profile_find(p->other, p->nother, code) < p->nother;
}

/* The hierarchy bit of a primary-seed hierarchy handle, or 0. */
static unsigned
profile_hierarchy_bit(uint32_t handle)
{
	switch (handle) {
	case TPM2_RH_OWNER:
		return PROFILE_HIER_OWNER;
	case TPM2_RH_ENDORSEMENT:
		return PROFILE_HIER_ENDORSEMENT;
	case TPM2_RH_PLATFORM:
		return PROFILE_HIER_PLATFORM;
	case TPM2_RH_NULL:
		return PROFILE_HIER_NULL;
	}
	return 0;
}

/* Whether a CreatePrimary or CreateLoaded with this parent handle stays
 * within the hierarchies the profile grants. */
static bool
profile_parent_allowed(const struct profile *p, uint32_t code,
    uint32_t handle)
{
	unsigned bit = profile_hierarchy_bit(handle);
	unsigned type = handle >> TPM2_HR_SHIFT;

	if (bit != 0)
		return (p->primary_hierarchies & bit) != 0;
	/* CreateLoaded under a loaded or persistent parent makes an ordinary
	 * object; only a hierarchy parent makes a primary (Part 3, 12.9). */
	if (code == TPM2_CC_CreateLoaded)
		return type == TPM2_HT_TRANSIENT || type == TPM2_HT_PERSISTENT;
	/* CreatePrimary takes nothing but a hierarchy (Part 3, 24.1). */
	return false;
}

/* The verdict on one command's bytes. */
static uint32_t
profile_check(const struct profile *p, const uint8_t *cmd, size_t len)
{
	uint32_t code;

	if (len < FRAME_HEADER_SIZE)
		return PROFILE_DENY_MALFORMED;
	code = frame_get_u32(cmd + 6);
	if (!profile_has_code(p, code))
		return PROFILE_DENY_COMMAND;
	if (code != TPM2_CC_CreatePrimary && code != TPM2_CC_CreateLoaded)
		return PROFILE_ALLOWED;
	if (p->primary_hierarchies == PROFILE_HIER_ALL)
		return PROFILE_ALLOWED;
	/* Both commands carry the parent as their first handle, right after
	 * the header (Part 3, 12.9 and 24.1). */
	if (len < FRAME_HEADER_SIZE + 4)
		return PROFILE_DENY_MALFORMED;
	if (!profile_parent_allowed(p, code,
	    frame_get_u32(cmd + FRAME_HEADER_SIZE)))
		return PROFILE_DENY_HIERARCHY;
	return PROFILE_ALLOWED;
}

/* Whether the profile lets this command (len bytes from the client,
 * header included) through; *why, if not NULL, gets the verdict. */
bool
profile_allows(const struct profile *p, const uint8_t *cmd, size_t len,
    uint32_t *why)
{
	uint32_t verdict = profile_check(p, cmd, len);

	if (why != NULL)
		*why = verdict;
	return verdict == PROFILE_ALLOWED;
}

/* qsort order for command codes. */
static int
profile_code_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Fill p->other: inherit's extra codes plus allow's, sorted and unique,
 * minus deny's. */
static int
profile_build_other(struct profile *p, const struct profile *inherit,
    const uint32_t *allow, size_t nallow, const uint32_t *deny, size_t ndeny)
{
	size_t n = 0, cap = inherit != NULL ? inherit->nother : 0;

	if (nallow > SIZE_MAX / sizeof(uint32_t) - cap)
		return -ENOMEM;
	cap += nallow;
	if (cap == 0)
		return 0;
	p->other = malloc(cap * sizeof(uint32_t));
	if (p->other == NULL)
		return -ENOMEM;
	if (inherit != NULL && inherit->nother > 0) {
		memcpy(p->other, inherit->other,
		    inherit->nother * sizeof(uint32_t));
		n = inherit->nother;
	}
	for (size_t i = 0; i < nallow; i++)
		if (!profile_in_table(allow[i]))
			p->other[n++] = allow[i];
	qsort(p->other, n, sizeof(uint32_t), profile_code_cmp);
	p->nother = 0;
	for (size_t i = 0; i < n; i++)
		if (p->nother == 0 || p->other[p->nother - 1] != p->other[i])
			p->other[p->nother++] = p->other[i];
	for (size_t i = 0; i < ndeny; i++) {
		size_t at = profile_find(p->other, p->nother, deny[i]);

		if (at == p->nother)
			continue;
		memmove(&p->other[at], &p->other[at + 1],
		    (p->nother - at - 1) * sizeof(uint32_t));
		p->nother--;
	}
	return 0;
}

/* Build a custom profile: inherit first, then allow adds, then deny
 * removes (deny wins). Naming CreatePrimary or CreateLoaded in allow
 * lifts the inherited hierarchy rule: the operator asked for it. */
int
profile_build(const char *name, const struct profile *inherit,
    const uint32_t *allow, size_t nallow, const uint32_t *deny, size_t ndeny,
    struct profile **out)
{
	struct profile *p;
	size_t namelen;
	int r;

	*out = NULL;
	if (name == NULL || (namelen = strlen(name)) == 0 ||
	    namelen > PROFILE_NAME_MAX)
		return -EINVAL;
	for (size_t i = 0; i < nallow; i++)
		if ((allow[i] & ~PROFILE_CC_VALID_BITS) != 0)
			return -EINVAL;
	for (size_t i = 0; i < ndeny; i++)
		if ((deny[i] & ~PROFILE_CC_VALID_BITS) != 0)
			return -EINVAL;

	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return -ENOMEM;
	memcpy(p->name, name, namelen + 1);
	p->owned = true;
	p->primary_hierarchies = PROFILE_HIER_ALL;
	if (inherit != NULL) {
		p->primary_hierarchies = inherit->primary_hierarchies;
		memcpy(p->allowed, inherit->allowed, sizeof(p->allowed));
	}
	for (size_t i = 0; i < nallow; i++) {
		if (profile_in_table(allow[i]))
			p->allowed[allow[i]] = true;
		if (allow[i] == TPM2_CC_CreatePrimary ||
		    allow[i] == TPM2_CC_CreateLoaded)
			p->primary_hierarchies = PROFILE_HIER_ALL;
	}
	for (size_t i = 0; i < ndeny; i++)
		if (profile_in_table(deny[i]))
			p->allowed[deny[i]] = false;
	r = profile_build_other(p, inherit, allow, nallow, deny, ndeny);
	if (r != 0) {
		profile_free(p);
		return r;
	}
	*out = p;
	return 0;
}

/* Free a profile from profile_build; NULL and built-ins are ignored. */
void
profile_free(const struct profile *p)
{
	if (p == NULL || !p->owned)
		return;
	free(p->other);
	free((void *)p);
}
