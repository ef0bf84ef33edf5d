#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Command profiles: each built-in profile and custom ones allow and deny what man/profiles.inc.txt says; denied commands never reach the TPM.
#
# Proves (raw TPM bytes, pollib.py profiles; a relay in front of swtpm logs
# every command that reaches the TPM): on a socket per profile,
#   - readonly: GetRandom, GetCapability, PCR_Read, ReadClock, Hash,
#     TestParms, HashSequenceStart, StartAuthSession, PolicyPCR pass;
#     CreatePrimary (owner, endorsement), LoadExternal, PolicySecret, Sign,
#     StirRandom, PCR_Extend, NV_DefineSpace, EvictControl, Clear,
#     HierarchyChangeAuth are denied;
#   - attest: CreatePrimary and CreateLoaded under the endorsement hierarchy,
#     ReadPublic, Certify, Quote, PolicySecret(endorsement), LoadExternal
#     pass; CreatePrimary under owner and null and CreateLoaded under owner
#     (hierarchy rule), Sign, VerifySignature, EncryptDecrypt, HMAC_Start,
#     Unseal, EvictControl, NV_DefineSpace, StirRandom, PCR_Extend, Clear
#     are denied;
#   - crypto: CreatePrimary (owner, null), CreateLoaded(owner), Sign,
#     VerifySignature, StirRandom, HMAC_Start, EncryptDecrypt,
#     PolicySecret(owner) pass; CreatePrimary/CreateLoaded under endorsement,
#     Quote, Certify, ActivateCredential, GetTime, NV_DefineSpace,
#     EvictControl, PCR_Extend, Clear, HierarchyControl are denied;
#   - full: CreatePrimary under all four hierarchies, Sign, Quote,
#     StirRandom, PCR_Extend, DictionaryAttackLockReset, NV_DefineSpace and
#     NV_UndefineSpace, EvictControl pass; Clear, ClearControl,
#     HierarchyControl, HierarchyChangeAuth, SetPrimaryPolicy, ChangeEPS,
#     ChangePPS, DictionaryAttackParameters (and FieldUpgradeStart,
#     FirmwareRead if the TPM has them) are denied;
#   - custom "signer" (inherit attest; allow by name, lower case without
#     prefix, and hex code; deny): Sign, VerifySignature, StirRandom pass,
#     Quote and Certify denied, HMAC_Start in both lists denied, CreatePrimary
#     keeps attest's endorsement-only rule;
#   - custom "tiny" (no inherit; allow GetRandom CreatePrimary): primaries
#     under any hierarchy, nothing else; "tiny2" (inherit tiny, allow
#     StirRandom, deny GetRandom).
# A denied command is answered 0x000B0143 (TPM_RC_COMMAND_CODE, RM layer),
# the tap never sees it, and the connection's next command works. Dangerous
# denied commands are sent without authorization, so one that leaked would
# be refused by the TPM. Startup gets 0x100 and Shutdown success from the
# proxy on every socket, whatever the profile, without reaching the TPM.
# After the daemon exits swtpm holds no handles.
# shellcheck disable=SC2119 # require_tools takes optional arguments
set -euo pipefail
# shellcheck source=test/integration/pollib.sh
. "$(dirname "$0")/pollib.sh"

require_tools
pol_init --tap

cat > "$CONF" <<CONF
# pol-profiles: one socket per profile
[daemon]
tcti = $DTCTI

[socket "ro"]
path = $T/ro.sock
profile = readonly

[socket "at"]
path = $T/at.sock
profile = attest

[socket "cr"]
path = $T/cr.sock
profile = crypto

[socket "fu"]
path = $T/fu.sock
profile = full
max-nv-indices = 1

[socket "cu"]
path = $T/cu.sock
profile = signer

[socket "ti"]
path = $T/ti.sock
profile = tiny

[socket "t2"]
path = $T/t2.sock
profile = tiny2

[profile "signer"]
inherit = attest
allow = TPM2_CC_Sign, verifysignature 0x00000146 HMAC_Start
deny = Quote TPM2_CC_Certify hmac_start

[profile "tiny"]
allow = TPM2_CC_GetRandom TPM2_CC_CreatePrimary

[profile "tiny2"]
inherit = tiny
allow = StirRandom
deny = GetRandom
CONF

pol_start
pol_step "built-in and custom profiles" profiles
pol_stop
check_handles_baseline
