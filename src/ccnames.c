/* SPDX-License-Identifier: BSD-2-Clause */
/* Names of TPM 2.0 command codes as tpm2-tss spells them (TPM2_CC_Sign),
 * for configuration files, logs and the audit log. */
#include "ccnames.h"

#include <stddef.h>
#include <string.h>
#include <strings.h>

struct ccname {
	uint32_t code;
	const char *name;
};

/* Sorted by code; every TPM2_CC_ name tss2_tpm2_types.h defines
 * (TPM2 Part 2, 6.5.2). Unknown codes are shown as hex by callers. */
static const struct ccname ccnames[] = {
	{ 0x0000011f, "TPM2_CC_NV_UndefineSpaceSpecial" },
	{ 0x00000120, "TPM2_CC_EvictControl" },
	{ 0x00000121, "TPM2_CC_HierarchyControl" },
	{ 0x00000122, "TPM2_CC_NV_UndefineSpace" },
	{ 0x00000124, "TPM2_CC_ChangeEPS" },
	{ 0x00000125, "TPM2_CC_ChangePPS" },
	{ 0x00000126, "TPM2_CC_Clear" },
	{ 0x00000127, "TPM2_CC_ClearControl" },
	{ 0x00000128, "TPM2_CC_ClockSet" },
	{ 0x00000129, "TPM2_CC_HierarchyChangeAuth" },
	{ 0x0000012a, "TPM2_CC_NV_DefineSpace" },
	{ 0x0000012b, "TPM2_CC_PCR_Allocate" },
	{ 0x0000012c, "TPM2_CC_PCR_SetAuthPolicy" },
	{ 0x0000012d, "TPM2_CC_PP_Commands" },
	{ 0x0000012e, "TPM2_CC_SetPrimaryPolicy" },
	{ 0x0000012f, "TPM2_CC_FieldUpgradeStart" },
	{ 0x00000130, "TPM2_CC_ClockRateAdjust" },
	{ 0x00000131, "TPM2_CC_CreatePrimary" },
	{ 0x00000132, "TPM2_CC_NV_GlobalWriteLock" },
	{ 0x00000133, "TPM2_CC_GetCommandAuditDigest" },
	{ 0x00000134, "TPM2_CC_NV_Increment" },
	{ 0x00000135, "TPM2_CC_NV_SetBits" },
	{ 0x00000136, "TPM2_CC_NV_Extend" },
	{ 0x00000137, "TPM2_CC_NV_Write" },
	{ 0x00000138, "TPM2_CC_NV_WriteLock" },
	{ 0x00000139, "TPM2_CC_DictionaryAttackLockReset" },
	{ 0x0000013a, "TPM2_CC_DictionaryAttackParameters" },
	{ 0x0000013b, "TPM2_CC_NV_ChangeAuth" },
	{ 0x0000013c, "TPM2_CC_PCR_Event" },
	{ 0x0000013d, "TPM2_CC_PCR_Reset" },
	{ 0x0000013e, "TPM2_CC_SequenceComplete" },
	{ 0x0000013f, "TPM2_CC_SetAlgorithmSet" },
	{ 0x00000140, "TPM2_CC_SetCommandCodeAuditStatus" },
	{ 0x00000141, "TPM2_CC_FieldUpgradeData" },
	{ 0x00000142, "TPM2_CC_IncrementalSelfTest" },
	{ 0x00000143, "TPM2_CC_SelfTest" },
	{ 0x00000144, "TPM2_CC_Startup" },
	{ 0x00000145, "TPM2_CC_Shutdown" },
	{ 0x00000146, "TPM2_CC_StirRandom" },
	{ 0x00000147, "TPM2_CC_ActivateCredential" },
	{ 0x00000148, "TPM2_CC_Certify" },
	{ 0x00000149, "TPM2_CC_PolicyNV" },
	{ 0x0000014a, "TPM2_CC_CertifyCreation" },
	{ 0x0000014b, "TPM2_CC_Duplicate" },
	{ 0x0000014c, "TPM2_CC_GetTime" },
	{ 0x0000014d, "TPM2_CC_GetSessionAuditDigest" },
	{ 0x0000014e, "TPM2_CC_NV_Read" },
	{ 0x0000014f, "TPM2_CC_NV_ReadLock" },
	{ 0x00000150, "TPM2_CC_ObjectChangeAuth" },
	{ 0x00000151, "TPM2_CC_PolicySecret" },
	{ 0x00000152, "TPM2_CC_Rewrap" },
	{ 0x00000153, "TPM2_CC_Create" },
	{ 0x00000154, "TPM2_CC_ECDH_ZGen" },
	{ 0x00000155, "TPM2_CC_HMAC" },
	{ 0x00000156, "TPM2_CC_Import" },
	{ 0x00000157, "TPM2_CC_Load" },
	{ 0x00000158, "TPM2_CC_Quote" },
	{ 0x00000159, "TPM2_CC_RSA_Decrypt" },
	{ 0x0000015b, "TPM2_CC_HMAC_Start" },
	{ 0x0000015c, "TPM2_CC_SequenceUpdate" },
	{ 0x0000015d, "TPM2_CC_Sign" },
	{ 0x0000015e, "TPM2_CC_Unseal" },
	{ 0x00000160, "TPM2_CC_PolicySigned" },
	{ 0x00000161, "TPM2_CC_ContextLoad" },
	{ 0x00000162, "TPM2_CC_ContextSave" },
	{ 0x00000163, "TPM2_CC_ECDH_KeyGen" },
	{ 0x00000164, "TPM2_CC_EncryptDecrypt" },
	{ 0x00000165, "TPM2_CC_FlushContext" },
	{ 0x00000167, "TPM2_CC_LoadExternal" },
	{ 0x00000168, "TPM2_CC_MakeCredential" },
	{ 0x00000169, "TPM2_CC_NV_ReadPublic" },
	{ 0x0000016a, "TPM2_CC_PolicyAuthorize" },
	{ 0x0000016b, "TPM2_CC_PolicyAuthValue" },
	{ 0x0000016c, "TPM2_CC_PolicyCommandCode" },
	{ 0x0000016d, "TPM2_CC_PolicyCounterTimer" },
	{ 0x0000016e, "TPM2_CC_PolicyCpHash" },
	{ 0x0000016f, "TPM2_CC_PolicyLocality" },
	{ 0x00000170, "TPM2_CC_PolicyNameHash" },
	{ 0x00000171, "TPM2_CC_PolicyOR" },
	{ 0x00000172, "TPM2_CC_PolicyTicket" },
	{ 0x00000173, "TPM2_CC_ReadPublic" },
	{ 0x00000174, "TPM2_CC_RSA_Encrypt" },
	{ 0x00000176, "TPM2_CC_StartAuthSession" },
	{ 0x00000177, "TPM2_CC_VerifySignature" },
	{ 0x00000178, "TPM2_CC_ECC_Parameters" },
	{ 0x00000179, "TPM2_CC_FirmwareRead" },
	{ 0x0000017a, "TPM2_CC_GetCapability" },
	{ 0x0000017b, "TPM2_CC_GetRandom" },
	{ 0x0000017c, "TPM2_CC_GetTestResult" },
	{ 0x0000017d, "TPM2_CC_Hash" },
	{ 0x0000017e, "TPM2_CC_PCR_Read" },
	{ 0x0000017f, "TPM2_CC_PolicyPCR" },
	{ 0x00000180, "TPM2_CC_PolicyRestart" },
	{ 0x00000181, "TPM2_CC_ReadClock" },
	{ 0x00000182, "TPM2_CC_PCR_Extend" },
	{ 0x00000183, "TPM2_CC_PCR_SetAuthValue" },
	{ 0x00000184, "TPM2_CC_NV_Certify" },
	{ 0x00000185, "TPM2_CC_EventSequenceComplete" },
	{ 0x00000186, "TPM2_CC_HashSequenceStart" },
	{ 0x00000187, "TPM2_CC_PolicyPhysicalPresence" },
	{ 0x00000188, "TPM2_CC_PolicyDuplicationSelect" },
	{ 0x00000189, "TPM2_CC_PolicyGetDigest" },
	{ 0x0000018a, "TPM2_CC_TestParms" },
	{ 0x0000018b, "TPM2_CC_Commit" },
	{ 0x0000018c, "TPM2_CC_PolicyPassword" },
	{ 0x0000018d, "TPM2_CC_ZGen_2Phase" },
	{ 0x0000018e, "TPM2_CC_EC_Ephemeral" },
	{ 0x0000018f, "TPM2_CC_PolicyNvWritten" },
	{ 0x00000190, "TPM2_CC_PolicyTemplate" },
	{ 0x00000191, "TPM2_CC_CreateLoaded" },
	{ 0x00000192, "TPM2_CC_PolicyAuthorizeNV" },
	{ 0x00000193, "TPM2_CC_EncryptDecrypt2" },
	{ 0x00000194, "TPM2_CC_AC_GetCapability" },
	{ 0x00000195, "TPM2_CC_AC_Send" },
	{ 0x00000196, "TPM2_CC_Policy_AC_SendSelect" },
	{ 0x00000197, "TPM2_CC_CertifyX509" },
	{ 0x00000198, "TPM2_CC_ACT_SetTimeout" },
	{ 0x20000000, "TPM2_CC_Vendor_TCG_Test" },
};

#define CCNAMES_COUNT (sizeof(ccnames) / sizeof(ccnames[0]))

/* The name of a command code, or NULL if it has none we know. */
const char *
ccnames_name(uint32_t code)
{
	size_t lo = 0, hi = CCNAMES_COUNT;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (ccnames[mid].code == code)
			return ccnames[mid].name;
		if (ccnames[mid].code < code)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* The code of a command name; "TPM2_CC_" may be left out and case does
 * not matter. -1 if unknown. */
int
ccnames_lookup(const char *name, uint32_t *code)
{
	if (strncasecmp(name, "TPM2_CC_", 8) == 0)
		name += 8;
	for (size_t i = 0; i < CCNAMES_COUNT; i++) {
		if (strcasecmp(ccnames[i].name + 8, name) == 0) {
			*code = ccnames[i].code;
			return 0;
		}
	}
	return -1;
}

/* Every known command code, in order (for profiles and tests). */
size_t
ccnames_all(uint32_t *codes, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < CCNAMES_COUNT && n < max; i++)
		codes[n++] = ccnames[i].code;
	return CCNAMES_COUNT;
}
