#!/usr/bin/env bash
# The AWS CLI (`aws ivs ...`, botocore's IVS model) against a running openivs, with only the endpoint
# pointed at it:
#
#   OPENIVS_ENDPOINT=http://127.0.0.1:PORT OPENIVS_ACCESS_KEY_ID=... OPENIVS_SECRET_ACCESS_KEY=... \
#   OPENIVS_REGION=us-west-2 bash clients/awscli.sh
#
# The Rust test `official_clients` (crates/conformance) starts a fresh server and runs this script.
set -euo pipefail

: "${OPENIVS_ENDPOINT:?OPENIVS_ENDPOINT is not set: point it at a running openivs}"
: "${OPENIVS_ACCESS_KEY_ID:?OPENIVS_ACCESS_KEY_ID is not set}"
: "${OPENIVS_SECRET_ACCESS_KEY:?OPENIVS_SECRET_ACCESS_KEY is not set}"
REGION="${OPENIVS_REGION:-us-west-2}"

# Only these credentials: no profile, config file or session token from the caller's environment.
export AWS_ACCESS_KEY_ID="$OPENIVS_ACCESS_KEY_ID"
export AWS_SECRET_ACCESS_KEY="$OPENIVS_SECRET_ACCESS_KEY"
unset AWS_SESSION_TOKEN AWS_PROFILE AWS_DEFAULT_PROFILE
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_PAGER=""

ivs() { aws --endpoint-url "$OPENIVS_ENDPOINT" --region "$REGION" ivs "$@"; }

passed=0
pass() { passed=$((passed + 1)); echo "ok - $*"; }
fail() {
  echo "not ok - $*" >&2
  echo "awscli: $passed passed, 1 failed"
  exit 1
}

arn=""
cleanup() { if [[ -n "$arn" ]]; then ivs delete-channel --arn "$arn" >/dev/null 2>&1 || true; fi; }
trap cleanup EXIT

aws --version

# create-channel
out="$(ivs create-channel --name cli-demo --type BASIC --output json)"
arn="$(printf '%s' "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["channel"]["arn"])')"
[[ "$arn" =~ ^arn:aws:ivs:$REGION:[0-9]{12}:channel/[A-Za-z0-9]{12}$ ]] || fail "create-channel ARN shape: $arn"
key="$(printf '%s' "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["streamKey"]["value"])')"
[[ "$key" == "sk_${REGION}_"* ]] || fail "create-channel stream key value shape: $key"
pass "create-channel --name cli-demo --type BASIC -> $arn"

# get-channel
got="$(ivs get-channel --arn "$arn" --query 'channel.[name,type,latencyMode,preset]' --output text)"
[[ "$got" == $'cli-demo\tBASIC\tLOW\t' ]] || fail "get-channel: expected 'cli-demo BASIC LOW <empty preset>', got '$got'"
pass "get-channel: $got"

# list-channels with --query
names="$(ivs list-channels --query "channels[?arn=='$arn'].name" --output text)"
[[ "$names" == "cli-demo" ]] || fail "list-channels --query: expected cli-demo, got '$names'"
pass "list-channels --query finds cli-demo"

# create-stream-key on a channel that already has one: ServiceQuotaExceededException, exit code 255
errfile="$(mktemp)"
set +e
stdout="$(ivs create-stream-key --channel-arn "$arn" 2>"$errfile")"
rc=$?
set -e
stderr="$(cat "$errfile")"
rm -f "$errfile"
[[ $rc -eq 255 ]] || fail "create-stream-key: expected exit code 255, got $rc (stdout: $stdout; stderr: $stderr)"
[[ "$stderr" == *ServiceQuotaExceededException* ]] || fail "create-stream-key: no ServiceQuotaExceededException in stderr: $stderr"
pass "create-stream-key fails with exit 255: $(printf '%s' "$stderr" | tr -s '\n' ' ')"

# delete-channel, then the channel is gone
ivs delete-channel --arn "$arn"
set +e
gone="$(ivs get-channel --arn "$arn" 2>&1)"
rc=$?
set -e
[[ $rc -eq 255 && "$gone" == *ResourceNotFoundException* ]] || fail "get-channel after delete-channel: exit $rc, $gone"
arn=""
pass "delete-channel, then get-channel is ResourceNotFoundException"

echo "awscli: $passed passed, 0 failed"
