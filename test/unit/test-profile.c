/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests of src/profile.c: the built-in lists, hierarchy rules, custom
 * profiles, and that man/profiles.inc.txt documents exactly what is
 * enforced. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <tss2/tss2_tpm2_types.h>

#include "ccnames.h"
#include "frame.h"
#include "profile.h"

#define VENDOR_BIT 0x20000000u

static const char *const builtin_names[] = {
	"readonly", "attest", "crypto", "full",
};

/* What no built-in allows (Part 3, chapter 24 but CreatePrimary, and the
 * rest the issue names). */
static const uint32_t never_codes[] = {
	TPM2_CC_Startup, TPM2_CC_Shutdown, TPM2_CC_Clear, TPM2_CC_ClearControl,
	TPM2_CC_HierarchyControl, TPM2_CC_HierarchyChangeAuth,
	TPM2_CC_SetPrimaryPolicy, TPM2_CC_ChangePPS, TPM2_CC_ChangeEPS,
	TPM2_CC_DictionaryAttackParameters, TPM2_CC_FieldUpgradeStart,
	TPM2_CC_FieldUpgradeData, TPM2_CC_FirmwareRead,
	TPM2_CC_Vendor_TCG_Test,
};

/* A command with one handle after the header; returns its length. */
static size_t
make_cmd(uint8_t *buf, uint32_t code, uint32_t handle)
{
	frame_put_u16(buf, FRAME_TAG_SESSIONS);
	frame_put_u32(buf + 2, 14);
	frame_put_u32(buf + 6, code);
	frame_put_u32(buf + 10, handle);
	return 14;
}

/* The verdict of profile p on code with handle. */
static uint32_t
verdict(const struct profile *p, uint32_t code, uint32_t handle)
{
	uint8_t buf[14];
	uint32_t why = 0xdead;
	size_t len = make_cmd(buf, code, handle);
	bool ok = profile_allows(p, buf, len, &why);

	assert_int_equal(ok, why == PROFILE_ALLOWED);
	return why;
}

/* Whether a is a subset of b over every command index, vendor or not. */
static bool
is_subset(const struct profile *a, const struct profile *b)
{
	for (uint32_t i = 0; i <= 0xffff; i++) {
		if (profile_has_code(a, i) && !profile_has_code(b, i))
			return false;
		if (profile_has_code(a, i | VENDOR_BIT) &&
		    !profile_has_code(b, i | VENDOR_BIT))
			return false;
	}
	return true;
}

static void
profile_builtin_names(void **state)
{
	for (size_t i = 0; i < 4; i++) {
		const struct profile *p = profile_builtin(builtin_names[i]);

		assert_non_null(p);
		assert_string_equal(profile_name(p), builtin_names[i]);
		assert_ptr_equal(p, profile_builtin(builtin_names[i]));
	}
	assert_null(profile_builtin("Full"));
	assert_null(profile_builtin(""));
	assert_null(profile_builtin("readonly "));
}

static void
profile_builtin_readonly_samples(void **state)
{
	const struct profile *p = profile_builtin("readonly");

	assert_int_equal(verdict(p, TPM2_CC_GetRandom, 0), PROFILE_ALLOWED);
	assert_int_equal(verdict(p, TPM2_CC_PCR_Read, 0), PROFILE_ALLOWED);
	assert_int_equal(verdict(p, TPM2_CC_GetCapability, 0), PROFILE_ALLOWED);
	assert_int_equal(verdict(p, TPM2_CC_HashSequenceStart, 0),
	    PROFILE_ALLOWED);
	assert_int_equal(verdict(p, TPM2_CC_Sign, 0x80000001),
	    PROFILE_DENY_COMMAND);
	assert_int_equal(verdict(p, TPM2_CC_CreatePrimary, TPM2_RH_OWNER),
	    PROFILE_DENY_COMMAND);
	assert_int_equal(verdict(p, TPM2_CC_PolicySecret, TPM2_RH_LOCKOUT),
	    PROFILE_DENY_COMMAND);
	assert_int_equal(verdict(p, TPM2_CC_NV_Write, 0x01000000),
	    PROFILE_DENY_COMMAND);
	assert_int_equal(verdict(p, TPM2_CC_PCR_Extend, 0),
	    PROFILE_DENY_COMMAND);
}

static void
profile_builtin_attest_samples(void **state)
{
	const struct profile *p = profile_builtin("attest");

	assert_int_equal(verdict(p, TPM2_CC_Quote, 0x80000001),
	    PROFILE_ALLOWED);
	assert_int_equal(verdict(p, TPM2_CC_ActivateCredential, 0x80000001),
	    PROFILE_ALLOWED);
	assert_int_equal(verdict(p, TPM2_CC_PolicySecret, TPM2_RH_ENDORSEMENT),
	    PROFILE_ALLOWED);
	assert_int_equal(verdict(p, TPM2_CC_Sign, 0x80000001),
	    PROFILE_DENY_COMMAND);
	assert_int_equal(verdict(p, TPM2_CC_Unseal, 0x80000001),
	    PROFILE_DENY_COMMAND);
	assert_int_equal(verdict(p, TPM2_CC_EvictControl, TPM2_RH_OWNER),
	    PROFILE_DENY_COMMAND);
}

static void
profile_builtin_crypto_samples(void **state)
{
	const struct profile *p = profile_builtin("crypto");

	assert_int_equal(verdict(p, TPM2_CC_Sign, 0x80000001),
	    PROFILE_ALLOWED);
	assert_int_equal(verdict(p, TPM2_CC_Unseal, 0x80000001),
	    PROFILE_ALLOWED);
	assert_int_equal(verdict(p, TPM2_CC_EncryptDecrypt2, 0x80000001),
	    PROFILE_ALLOWED);
	assert_int_equal(verdict(p, TPM2_CC_Quote, 0x80000001),
	    PROFILE_DENY_COMMAND);
	assert_int_equal(verdict(p, TPM2_CC_ActivateCredential, 0x80000001),
	    PROFILE_DENY_COMMAND);
	assert_int_equal(verdict(p, TPM2_CC_NV_DefineSpace, TPM2_RH_OWNER),
	    PROFILE_DENY_COMMAND);
}

static void
profile_builtin_inclusion(void **state)
{
	const struct profile *ro = profile_builtin("readonly");
	const struct profile *at = profile_builtin("attest");
	const struct profile *cr = profile_builtin("crypto");
	const struct profile *full = profile_builtin("full");

	assert_true(is_subset(ro, at));
	assert_true(is_subset(ro, cr));
	assert_true(is_subset(at, full));
	assert_true(is_subset(cr, full));
	assert_false(is_subset(at, cr));
	assert_false(is_subset(cr, at));
}

static void
profile_builtin_full_is_all_but_never(void **state)
{
	const struct profile *full = profile_builtin("full");
	uint32_t codes[512];
	size_t n = ccnames_all(codes, 512);

	assert_true(n < 512);
	for (size_t i = 0; i < n; i++) {
		bool never = (codes[i] & VENDOR_BIT) != 0;

		for (size_t j = 0; j < sizeof(never_codes) / 4; j++)
			never |= codes[i] == never_codes[j];
		if (profile_has_code(full, codes[i]) == never)
			fail_msg("full and %s disagree", ccnames_name(codes[i]));
	}
}

static void
profile_builtin_only_named_codes(void **state)
{
	for (size_t b = 0; b < 4; b++) {
		const struct profile *p = profile_builtin(builtin_names[b]);

		for (uint32_t i = 0; i <= 0xffff; i++) {
			if (profile_has_code(p, i) && ccnames_name(i) == NULL)
				fail_msg("%s allows unnamed code 0x%x",
				    builtin_names[b], i);
			assert_false(profile_has_code(p, i | VENDOR_BIT));
		}
	}
}

static void
profile_builtin_never_allowed(void **state)
{
	for (size_t b = 0; b < 4; b++) {
		const struct profile *p = profile_builtin(builtin_names[b]);

		for (size_t j = 0; j < sizeof(never_codes) / 4; j++)
			assert_int_equal(verdict(p, never_codes[j], 0),
			    PROFILE_DENY_COMMAND);
	}
}

static void
profile_allows_hierarchy_attest(void **state)
{
	const struct profile *p = profile_builtin("attest");
	uint32_t cp = TPM2_CC_CreatePrimary;

	assert_int_equal(verdict(p, cp, TPM2_RH_ENDORSEMENT), PROFILE_ALLOWED);
	assert_int_equal(verdict(p, cp, TPM2_RH_OWNER), PROFILE_DENY_HIERARCHY);
	assert_int_equal(verdict(p, cp, TPM2_RH_NULL), PROFILE_DENY_HIERARCHY);
	assert_int_equal(verdict(p, cp, TPM2_RH_PLATFORM),
	    PROFILE_DENY_HIERARCHY);
	assert_int_equal(verdict(p, cp, 0x80000000), PROFILE_DENY_HIERARCHY);
	assert_int_equal(verdict(p, cp, TPM2_RH_LOCKOUT),
	    PROFILE_DENY_HIERARCHY);
}

static void
profile_allows_hierarchy_crypto(void **state)
{
	const struct profile *p = profile_builtin("crypto");
	uint32_t cp = TPM2_CC_CreatePrimary;

	assert_int_equal(verdict(p, cp, TPM2_RH_OWNER), PROFILE_ALLOWED);
	assert_int_equal(verdict(p, cp, TPM2_RH_NULL), PROFILE_ALLOWED);
	assert_int_equal(verdict(p, cp, TPM2_RH_ENDORSEMENT),
	    PROFILE_DENY_HIERARCHY);
	assert_int_equal(verdict(p, cp, TPM2_RH_PLATFORM),
	    PROFILE_DENY_HIERARCHY);
	assert_int_equal(verdict(p, cp, 0x81000001), PROFILE_DENY_HIERARCHY);
}

static void
profile_allows_hierarchy_createloaded(void **state)
{
	const struct profile *at = profile_builtin("attest");
	const struct profile *cr = profile_builtin("crypto");
	uint32_t cl = TPM2_CC_CreateLoaded;

	assert_int_equal(verdict(at, cl, TPM2_RH_ENDORSEMENT), PROFILE_ALLOWED);
	assert_int_equal(verdict(at, cl, TPM2_RH_OWNER),
	    PROFILE_DENY_HIERARCHY);
	assert_int_equal(verdict(cr, cl, TPM2_RH_OWNER), PROFILE_ALLOWED);
	assert_int_equal(verdict(cr, cl, TPM2_RH_ENDORSEMENT),
	    PROFILE_DENY_HIERARCHY);
	/* Ordinary children of loaded or persistent parents. */
	assert_int_equal(verdict(at, cl, 0x80000002), PROFILE_ALLOWED);
	assert_int_equal(verdict(cr, cl, 0x81000001), PROFILE_ALLOWED);
	/* Nothing else is a parent: sessions, NV indices, other permanents. */
	assert_int_equal(verdict(cr, cl, 0x02000000), PROFILE_DENY_HIERARCHY);
	assert_int_equal(verdict(cr, cl, 0x01000000), PROFILE_DENY_HIERARCHY);
	assert_int_equal(verdict(cr, cl, TPM2_RH_LOCKOUT),
	    PROFILE_DENY_HIERARCHY);
}

static void
profile_allows_full_any_hierarchy(void **state)
{
	const struct profile *p = profile_builtin("full");
	uint8_t buf[14];

	assert_int_equal(verdict(p, TPM2_CC_CreatePrimary, TPM2_RH_PLATFORM),
	    PROFILE_ALLOWED);
	assert_int_equal(verdict(p, TPM2_CC_CreateLoaded, TPM2_RH_ENDORSEMENT),
	    PROFILE_ALLOWED);
	/* No rule to check, so a short command is the TPM's to refuse. */
	make_cmd(buf, TPM2_CC_CreatePrimary, 0);
	assert_true(profile_allows(p, buf, 10, NULL));
}

static void
profile_allows_malformed(void **state)
{
	const struct profile *p = profile_builtin("attest");
	uint8_t buf[14];
	uint32_t why;

	make_cmd(buf, TPM2_CC_GetRandom, 0);
	for (size_t n = 0; n < FRAME_HEADER_SIZE; n++) {
		assert_false(profile_allows(p, buf, n, &why));
		assert_int_equal(why, PROFILE_DENY_MALFORMED);
	}
	assert_false(profile_allows(p, NULL, 0, &why));
	assert_int_equal(why, PROFILE_DENY_MALFORMED);
	assert_true(profile_allows(p, buf, FRAME_HEADER_SIZE, &why));
	assert_int_equal(why, PROFILE_ALLOWED);

	/* The hierarchy rule reads a handle: it must be there. */
	make_cmd(buf, TPM2_CC_CreatePrimary, TPM2_RH_ENDORSEMENT);
	for (size_t n = FRAME_HEADER_SIZE; n < 14; n++) {
		assert_false(profile_allows(p, buf, n, &why));
		assert_int_equal(why, PROFILE_DENY_MALFORMED);
	}
	assert_true(profile_allows(p, buf, 14, NULL));
	assert_false(profile_allows(p, buf, 13, NULL));
}

static void
profile_build_inherit_allow_deny(void **state)
{
	static const uint32_t allow[] = { TPM2_CC_Sign,
		TPM2_CC_VerifySignature };
	static const uint32_t deny[] = { TPM2_CC_NV_Read };
	const struct profile *at = profile_builtin("attest");
	struct profile *p;

	assert_int_equal(profile_build("custom", at, allow, 2, deny, 1, &p), 0);
	assert_string_equal(profile_name(p), "custom");
	assert_int_equal(verdict(p, TPM2_CC_Sign, 0x80000001), PROFILE_ALLOWED);
	assert_int_equal(verdict(p, TPM2_CC_Quote, 0x80000001),
	    PROFILE_ALLOWED);
	assert_int_equal(verdict(p, TPM2_CC_NV_Read, 0x01000000),
	    PROFILE_DENY_COMMAND);
	assert_int_equal(verdict(p, TPM2_CC_Unseal, 0x80000001),
	    PROFILE_DENY_COMMAND);
	/* The hierarchy rule comes with the commands. */
	assert_int_equal(verdict(p, TPM2_CC_CreatePrimary, TPM2_RH_OWNER),
	    PROFILE_DENY_HIERARCHY);
	/* The built-in is untouched. */
	assert_true(profile_has_code(at, TPM2_CC_NV_Read));
	assert_false(profile_has_code(at, TPM2_CC_Sign));
	profile_free(p);
}

static void
profile_build_deny_wins(void **state)
{
	static const uint32_t both[] = { TPM2_CC_GetRandom, 0x20000001,
		0x00001234 };
	struct profile *p;

	assert_int_equal(profile_build("x", NULL, both, 3, both, 3, &p), 0);
	for (size_t i = 0; i < 3; i++)
		assert_false(profile_has_code(p, both[i]));
	profile_free(p);
}

static void
profile_build_no_inherit(void **state)
{
	static const uint32_t allow[] = { TPM2_CC_GetRandom,
		TPM2_CC_CreatePrimary };
	struct profile *p;

	assert_int_equal(profile_build("x", NULL, allow, 2, NULL, 0, &p), 0);
	assert_int_equal(verdict(p, TPM2_CC_GetRandom, 0), PROFILE_ALLOWED);
	assert_int_equal(verdict(p, TPM2_CC_PCR_Read, 0),
	    PROFILE_DENY_COMMAND);
	assert_int_equal(verdict(p, TPM2_CC_CreatePrimary, TPM2_RH_PLATFORM),
	    PROFILE_ALLOWED);
	profile_free(p);

	assert_int_equal(profile_build("empty", NULL, NULL, 0, NULL, 0, &p), 0);
	for (uint32_t i = 0; i <= 0xffff; i++)
		assert_false(profile_has_code(p, i));
	profile_free(p);
}

static void
profile_build_lifts_hierarchy(void **state)
{
	static const uint32_t cp[] = { TPM2_CC_CreatePrimary };
	static const uint32_t cl[] = { TPM2_CC_CreateLoaded };
	const struct profile *at = profile_builtin("attest");
	struct profile *p;

	assert_int_equal(profile_build("srk", at, cp, 1, NULL, 0, &p), 0);
	assert_int_equal(verdict(p, TPM2_CC_CreatePrimary, TPM2_RH_OWNER),
	    PROFILE_ALLOWED);
	profile_free(p);
	assert_int_equal(profile_build("srk", at, cl, 1, NULL, 0, &p), 0);
	assert_int_equal(verdict(p, TPM2_CC_CreateLoaded, TPM2_RH_OWNER),
	    PROFILE_ALLOWED);
	profile_free(p);
	/* Inheriting from a custom profile keeps its rule. */
	assert_int_equal(profile_build("a2", at, NULL, 0, NULL, 0, &p), 0);
	{
		struct profile *q;

		assert_int_equal(profile_build("a3", p, NULL, 0, NULL, 0, &q),
		    0);
		assert_int_equal(verdict(q, TPM2_CC_CreatePrimary,
		    TPM2_RH_OWNER), PROFILE_DENY_HIERARCHY);
		profile_free(q);
	}
	profile_free(p);
}

static void
profile_build_vendor_codes(void **state)
{
	static const uint32_t allow[] = { 0x20000000, 0x2000ffff, 0x20000001,
		0x20000000, 0x00001234, 0x000001ff, 0x00000200 };
	static const uint32_t deny[] = { 0x20000001, 0x20000002 };
	struct profile *p, *q;
	uint8_t buf[14];

	assert_int_equal(profile_build("v", NULL, allow, 7, deny, 2, &p), 0);
	assert_true(profile_has_code(p, 0x20000000));
	assert_true(profile_has_code(p, 0x2000ffff));
	assert_false(profile_has_code(p, 0x20000001));
	assert_true(profile_has_code(p, 0x00001234));
	assert_true(profile_has_code(p, 0x000001ff));
	assert_true(profile_has_code(p, 0x00000200));
	assert_false(profile_has_code(p, 0x00001235));
	make_cmd(buf, 0x2000ffff, 0);
	assert_true(profile_allows(p, buf, 10, NULL));

	/* Inherited vendor codes survive, and can be denied again. */
	assert_int_equal(profile_build("w", p, NULL, 0, allow, 1, &q), 0);
	assert_false(profile_has_code(q, 0x20000000));
	assert_true(profile_has_code(q, 0x2000ffff));
	assert_true(profile_has_code(q, 0x00001234));
	profile_free(q);
	profile_free(p);
}

static void
profile_build_invalid(void **state)
{
	static const uint32_t bad[] = { 0x00010000, 0x40000000, 0x80000000,
		0x10000000 };
	static const uint32_t good[] = { TPM2_CC_GetRandom };
	char name[PROFILE_NAME_MAX + 2];
	struct profile *p = (struct profile *)1;

	for (size_t i = 0; i < 4; i++) {
		assert_int_equal(profile_build("x", NULL, &bad[i], 1, NULL, 0,
		    &p), -EINVAL);
		assert_null(p);
		assert_int_equal(profile_build("x", NULL, good, 1, &bad[i], 1,
		    &p), -EINVAL);
	}
	assert_int_equal(profile_build(NULL, NULL, good, 1, NULL, 0, &p),
	    -EINVAL);
	assert_int_equal(profile_build("", NULL, good, 1, NULL, 0, &p),
	    -EINVAL);
	memset(name, 'a', sizeof(name));
	name[PROFILE_NAME_MAX + 1] = '\0';
	assert_int_equal(profile_build(name, NULL, good, 1, NULL, 0, &p),
	    -EINVAL);
	name[PROFILE_NAME_MAX] = '\0';
	assert_int_equal(profile_build(name, NULL, good, 1, NULL, 0, &p), 0);
	assert_string_equal(profile_name(p), name);
	profile_free(p);
}

static void
profile_free_ignores_builtins(void **state)
{
	profile_free(NULL);
	profile_free(profile_builtin("full"));
	assert_true(profile_has_code(profile_builtin("full"),
	    TPM2_CC_GetRandom));
}

static void
profile_verdict_name_all(void **state)
{
	assert_string_equal(profile_verdict_name(PROFILE_ALLOWED), "allowed");
	assert_string_equal(profile_verdict_name(PROFILE_DENY_COMMAND),
	    "command");
	assert_string_equal(profile_verdict_name(PROFILE_DENY_HIERARCHY),
	    "hierarchy");
	assert_string_equal(profile_verdict_name(PROFILE_DENY_MALFORMED),
	    "malformed");
	assert_string_equal(profile_verdict_name(99), "unknown");
}

/* A man-page section's list: which codes it names. */
struct doc_section {
	char name[16];
	bool listed[0x200];
};

/* Read man/profiles.inc.txt: a line "name - what" opens a section; an
 * indented TPM2_CC_ name is listed in it. */
static size_t
doc_read(const char *path, struct doc_section *sec, size_t max)
{
	char line[256];
	size_t n = 0;
	FILE *f = fopen(path, "r");

	assert_non_null(f);
	while (fgets(line, sizeof(line), f) != NULL) {
		char *w = line + strspn(line, " ");
		uint32_t code;

		size_t word = strspn(line, "abcdefghijklmnopqrstuvwxyz");

		if (word > 0 && word < sizeof(sec[0].name) &&
		    strncmp(line + word, " - ", 3) == 0) {
			assert_true(n < max);
			memset(&sec[n], 0, sizeof(sec[n]));
			memcpy(sec[n].name, line, word);
			n++;
		} else if (w != line && strncmp(w, "TPM2_CC_", 8) == 0 &&
		    n > 0) {
			w[strcspn(w, " \n")] = '\0';
			if (ccnames_lookup(w, &code) != 0)
				fail_msg("unknown name %s", w);
			if (code & VENDOR_BIT)
				continue;
			assert_true(code < 0x200);
			if (sec[n - 1].listed[code])
				fail_msg("%s listed twice in %s", w,
				    sec[n - 1].name);
			sec[n - 1].listed[code] = true;
		}
	}
	fclose(f);
	return n;
}

/* The section called name. */
static const struct doc_section *
doc_find(const struct doc_section *sec, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(sec[i].name, name) == 0)
			return &sec[i];
	fail_msg("no section %s", name);
	return NULL;
}

static void
profile_man_page_matches(void **state)
{
	static struct doc_section sec[8];
	const char *top = getenv("top_srcdir");
	const struct doc_section *ro, *at, *cr, *full, *never;
	char path[4096];
	size_t n;

	if (top == NULL)
		skip();
	snprintf(path, sizeof(path), "%s/man/profiles.inc.txt", top);
	n = doc_read(path, sec, 8);
	ro = doc_find(sec, n, "readonly");
	at = doc_find(sec, n, "attest");
	cr = doc_find(sec, n, "crypto");
	full = doc_find(sec, n, "full");
	never = doc_find(sec, n, "never");
	for (uint32_t i = 0; i < 0x200; i++) {
		bool r = ro->listed[i];
		bool a = r || at->listed[i];
		bool c = r || cr->listed[i];
		bool f = a || c || full->listed[i];
		const char *cc = ccnames_name(i) != NULL ? ccnames_name(i) : "?";

		if (r != profile_has_code(profile_builtin("readonly"), i) ||
		    a != profile_has_code(profile_builtin("attest"), i) ||
		    c != profile_has_code(profile_builtin("crypto"), i) ||
		    f != profile_has_code(profile_builtin("full"), i))
			fail_msg("man page and profiles disagree on %s", cc);
		/* Additions are listed once, never beside readonly. */
		if (r && (at->listed[i] || cr->listed[i]))
			fail_msg("%s listed again beside readonly", cc);
		if ((at->listed[i] || cr->listed[i]) && full->listed[i])
			fail_msg("%s listed again under full", cc);
		/* never lists exactly the named commands full leaves out. */
		if (never->listed[i] != (ccnames_name(i) != NULL && !f))
			fail_msg("never and full disagree on %s", cc);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(profile_builtin_names),
		cmocka_unit_test(profile_builtin_readonly_samples),
		cmocka_unit_test(profile_builtin_attest_samples),
		cmocka_unit_test(profile_builtin_crypto_samples),
		cmocka_unit_test(profile_builtin_inclusion),
		cmocka_unit_test(profile_builtin_full_is_all_but_never),
		cmocka_unit_test(profile_builtin_only_named_codes),
		cmocka_unit_test(profile_builtin_never_allowed),
		cmocka_unit_test(profile_allows_hierarchy_attest),
		cmocka_unit_test(profile_allows_hierarchy_crypto),
		cmocka_unit_test(profile_allows_hierarchy_createloaded),
		cmocka_unit_test(profile_allows_full_any_hierarchy),
		cmocka_unit_test(profile_allows_malformed),
		cmocka_unit_test(profile_build_inherit_allow_deny),
		cmocka_unit_test(profile_build_deny_wins),
		cmocka_unit_test(profile_build_no_inherit),
		cmocka_unit_test(profile_build_lifts_hierarchy),
		cmocka_unit_test(profile_build_vendor_codes),
		cmocka_unit_test(profile_build_invalid),
		cmocka_unit_test(profile_free_ignores_builtins),
		cmocka_unit_test(profile_verdict_name_all),
		cmocka_unit_test(profile_man_page_matches),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
