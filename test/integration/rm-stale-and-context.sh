#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Resource manager: stale virtual handles, ContextSave/ContextLoad of objects and sessions across connections and processes.
#
# Proves:
# 1. (rmlib.py stale) A flushed or completed object's virtual handle answers
#    0x000B018B (ReadPublic, Sign, ContextSave) and 0x000B01C4 (FlushContext),
#    also when it was flushed while evicted, and no object created later on
#    the connection (CreatePrimary, HashSequenceStart, ContextLoad) gets a
#    handle any flushed object had.
# 2. (ctx-object) An object saved with ContextSave loads again on the same
#    connection (a new virtual handle) and twice on another connection; B's
#    signatures verify with A's key; B's copies outlive A's flush and A's
#    disconnect.
# 3. (ctx-session) A policy session saved on A is loaded on B (same socket
#    and uid) with the same TPM handle and policy digest, and A can no longer
#    use it; an HMAC session and a key saved by a connection that then closed
#    are loaded on a third one and authorize Signs there (nonces carried on);
#    a connection on another socket (another identity) gets 0x000B01CB for
#    ContextLoad of the blob, which its owner can still load afterwards.
# 4. tpm2-tools, one process per command: a policy session through
#    startauthsession/policypcr/flushcontext, and an HMAC session that
#    authorizes tpm2_sign in a later process; tpm2_getcap in a new process
#    lists no transient handles.
# After the daemon exits swtpm holds no handles.
# shellcheck disable=SC2119 # require_tools takes optional arguments
set -euo pipefail
# shellcheck source=test/integration/rmlib.sh
. "$(dirname "$0")/rmlib.sh"

require_tools tpm2_startauthsession tpm2_policypcr tpm2_flushcontext tpm2_createprimary \
    tpm2_sign tpm2_verifysignature
rm_setup

tools_sessions() {
    step "tpm2_startauthsession --policy-session" \
        tpm2_startauthsession --policy-session -S "$T/policy.ctx"
    step "tpm2_policypcr (second process)" \
        tpm2_policypcr -S "$T/policy.ctx" -l sha256:0,1 -L "$T/policy.digest"
    [[ $(stat -c %s "$T/policy.digest") -eq 32 ]] ||
        fail "tpm2_policypcr wrote a $(stat -c %s "$T/policy.digest")-byte digest, expected 32"
    step "tpm2_policypcr again (third process)" \
        tpm2_policypcr -S "$T/policy.ctx" -l sha256:2 -L "$T/policy2.digest"
    cmp -s "$T/policy.digest" "$T/policy2.digest" &&
        fail "the second tpm2_policypcr did not extend the session's policy digest"
    step "tpm2_flushcontext (policy session)" tpm2_flushcontext "$T/policy.ctx"
    step_fails "tpm2_policypcr on the flushed session" \
        tpm2_policypcr -S "$T/policy.ctx" -l sha256:0

    step "tpm2_createprimary (ECC signing)" \
        tpm2_createprimary -C o -G ecc:ecdsa-sha256 -c "$T/key.ctx" \
        -a 'fixedtpm|fixedparent|sensitivedataorigin|userwithauth|sign'
    step "tpm2_startauthsession --hmac-session" \
        tpm2_startauthsession --hmac-session -S "$T/hmac.ctx"
    echo "signed with an HMAC session saved by another process" > "$T/msg"
    step "tpm2_sign -p session:hmac.ctx" \
        tpm2_sign -c "$T/key.ctx" -p session:"$T/hmac.ctx" -g sha256 -o "$T/sig" "$T/msg"
    step "tpm2_sign -p session:hmac.ctx (again)" \
        tpm2_sign -c "$T/key.ctx" -p session:"$T/hmac.ctx" -g sha256 -o "$T/sig2" "$T/msg"
    step "tpm2_verifysignature" \
        tpm2_verifysignature -c "$T/key.ctx" -g sha256 -m "$T/msg" -s "$T/sig"
    step "tpm2_flushcontext (HMAC session)" tpm2_flushcontext "$T/hmac.ctx"
    step "tpm2_getcap handles-transient (new process)" tpm2_getcap handles-transient
    [[ ! -s $T/step.out ]] ||
        fail "a new process sees transient handles: $(tr '\n' ' ' < "$T/step.out")"
    say "tpm2-tools: policy and HMAC sessions across processes ok"
}

rm_step "stale virtual handles" stale
rm_step "object ContextSave/ContextLoad across connections" ctx-object
rm_step "session ContextSave/ContextLoad across connections" ctx-session
tools_sessions
stop_daemon
check_handles_baseline
