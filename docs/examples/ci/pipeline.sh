#!/usr/bin/env bash
# Builds, packs, signs, publishes and installs an exthost extension, then calls one of its
# endpoints: the whole release of an extension as one script, for any CI system or a shell.
#
#   pipeline.sh [EXTENSION_DIR] [SMOKE_PATH]
#
# Settings (environment; the two arguments win over their variables):
#   EXTHOST_URL            the server's base URL (required)
#   EXTHOST_API_KEY        an admin API key of the tenant to install for (required; never printed)
#   EXTHOST_CA             CA certificate to trust for EXTHOST_URL: a path or the PEM itself (optional)
#   EXTHOST_SIGN_KEY       the publisher's private key: a path or the PEM itself (required)
#   EXTHOST_SIGN_CERT      the publisher's certificate (CN = the manifest's publisher): a path or the PEM
#   EXTHOST_EXTENSION_DIR  the extension directory, holding manifest.json (default: .)
#   EXTHOST_SMOKE_PATH     the path to GET after installing, e.g. /hello/ci (default: no smoke call)
#   EXTHOST_SMOKE_STATUS   the status the smoke call must answer (default: 200)
#   EXTHOST_GRANTS         capabilities to grant, separated by spaces or commas (default: none)
#   EXTHOST_BUILD_COMMAND  the build command, run in the extension directory (default: ./build,
#                          else ./build.sh, else no build and dist/ is packed as it is)
#   EXTHOST_CLI            the exthost binary (default: exthost on the PATH)
#   EXTHOST_WORK_DIR       where the bundle is written and kept (default: a temporary directory)
#
# PEM contents are written to a private (0700) temporary directory as 0600 files, removed on
# exit. Each stage prints "==> stage" and its result; the first failure stops the run with
# "pipeline: FAILED at <stage>: <why>" on stderr and exit status 1.
set -euo pipefail

stage=setup
say() { printf '%s\n' "$*"; }
begin() { stage=$1; say "==> $1"; }
fail() { printf 'pipeline: FAILED at %s: %s\n' "$stage" "$*" >&2; exit 1; }

secrets=$(mktemp -d "${TMPDIR:-/tmp}/exthost-ci.XXXXXX")
chmod 700 "$secrets"
trap 'rm -rf -- "$secrets"' EXIT

# A variable that holds either a file's path or the PEM text itself (CI secrets are usually
# the text); prints the path of a file holding it.
pem_file() {
  local name=$1 value=${!1-}
  [[ -n $value ]] || fail "$name is not set"
  if [[ $value == *"-----BEGIN"* ]]; then
    (umask 077 && printf '%s\n' "$value" > "$secrets/$name.pem")
    printf '%s\n' "$secrets/$name.pem"
  elif [[ -f $value && -r $value ]]; then
    printf '%s\n' "$value"
  else
    fail "$name is neither PEM text nor a readable file"
  fi
}

extension_dir=${1:-${EXTHOST_EXTENSION_DIR:-.}}
smoke_path=${2:-${EXTHOST_SMOKE_PATH:-}}
smoke_status=${EXTHOST_SMOKE_STATUS:-200}
exthost=${EXTHOST_CLI:-exthost}

[[ -n ${EXTHOST_URL:-} ]] || fail "EXTHOST_URL is not set (the server's base URL)"
[[ -n ${EXTHOST_API_KEY:-} ]] || fail "EXTHOST_API_KEY is not set (an admin key of the tenant)"
[[ -f $extension_dir/manifest.json ]] || fail "$extension_dir/manifest.json not found (pass the extension directory)"
[[ -z $smoke_path || $smoke_path == /* ]] || fail "the smoke path must start with '/', got '$smoke_path'"
command -v "$exthost" > /dev/null || fail "the exthost CLI ($exthost) is not installed (or set EXTHOST_CLI)"
command -v python3 > /dev/null || fail "python3 is needed to read the manifest and JSON reports"
command -v curl > /dev/null || fail "curl is needed for the smoke call"
sign_key=$(pem_file EXTHOST_SIGN_KEY)
sign_cert=$(pem_file EXTHOST_SIGN_CERT)
if [[ -n ${EXTHOST_CA:-} ]]; then
  EXTHOST_CA=$(pem_file EXTHOST_CA)
  export EXTHOST_CA
fi
export EXTHOST_URL EXTHOST_API_KEY
work_dir=${EXTHOST_WORK_DIR:-$secrets}
mkdir -p "$work_dir"
bundle=$work_dir/bundle.tar.zst

# Prints one member of a JSON file (a path of keys); lists as "a, b", booleans as true/false.
json_field() { python3 -c 'import json, sys
value = json.load(open(sys.argv[1]))
for key in sys.argv[2:]:
    value = value.get(key) if isinstance(value, dict) else None
if isinstance(value, bool):
    value = str(value).lower()
elif isinstance(value, list):
    value = ", ".join(map(str, value)) or "none"
print("" if value is None else value)' "$@"; }

begin build
if [[ -n ${EXTHOST_BUILD_COMMAND:-} ]]; then
  (cd "$extension_dir" && bash -c "$EXTHOST_BUILD_COMMAND") || fail "the build command failed: $EXTHOST_BUILD_COMMAND"
elif [[ -x $extension_dir/build ]]; then
  (cd "$extension_dir" && ./build) || fail "./build failed"
elif [[ -f $extension_dir/build.sh ]]; then
  (cd "$extension_dir" && bash ./build.sh) || fail "./build.sh failed"
else
  say "no build script: packing dist/ as it is"
fi

begin pack
# `exthost pack` packs a whole directory; a repository also holds .git, sources and CI files,
# so only what the manifest names goes into the bundle: manifest.json, the wasm entry, ui/,
# the assets and the SBOM (a missing one is left for pack to report).
staged=$work_dir/staged
rm -rf -- "$staged" && mkdir -p "$staged"
python3 - "$extension_dir" > "$work_dir/bundle-files" <<'LIST' || fail "manifest.json is not valid JSON"
import json, os, sys
root = sys.argv[1]
manifest = json.load(open(os.path.join(root, "manifest.json")))
paths = ["manifest.json", manifest.get("entry", "dist/main.wasm"), manifest.get("sbom")]
paths += ["ui"] if manifest.get("ui") else []
paths += manifest.get("assets", [])
for path in dict.fromkeys(p for p in paths if isinstance(p, str)):
    if os.path.exists(os.path.join(root, path)):
        print(path)
LIST
tr '\n' '\0' < "$work_dir/bundle-files" | tar -C "$extension_dir" --null -T - -cf - | tar -C "$staged" -xf - \
  || fail "copying the bundle's files out of $extension_dir failed"
"$exthost" pack "$staged" -o "$bundle" || fail "exthost pack refused the extension (issues above)"
extension_id=$(json_field "$extension_dir/manifest.json" publisher).$(json_field "$extension_dir/manifest.json" name)

begin sign
"$exthost" sign "$bundle" --key "$sign_key" --cert "$sign_cert" \
  || fail "exthost sign failed (is the certificate's CN the manifest's publisher, and the key its pair?)"
"$exthost" verify "$bundle" > /dev/null || fail "the signed bundle does not verify: run exthost verify $bundle"

begin publish
grants=()
for capability in ${EXTHOST_GRANTS//,/ }; do grants+=(--grant "$capability"); done
report=$work_dir/publish.json
log=$work_dir/publish.log
# One `exthost publish --install` uploads the bundle once; its progress log tells whether a
# failure came before the version was registered (publish) or after (install).
if ! "$exthost" publish "$bundle" --install ${grants[@]+"${grants[@]}"} --json > "$report" 2> "$log"; then
  cat "$log" >&2
  code=$(sed -n 's/^Error: \([A-Z_]*\):.*/\1/p' "$log" | head -n 1)
  if grep -q '^finalized ' "$log"; then
    stage=install
    fail "installing $extension_id was refused: ${code:-see the error above}"
  fi
  fail "the server refused $extension_id: ${code:-see the error above} (the server's message and a hint are above)"
fi
cat "$log"
version=$(json_field "$report" version version)
if [[ $(json_field "$report" created) == true ]]; then
  say "published $extension_id $version ($(json_field "$report" contentHash))"
else
  say "already published: $extension_id $version with this exact content, nothing changed"
fi

begin install
say "installed $extension_id $version for the key's tenant: install $(json_field "$report" install id)," \
    "granted: $(json_field "$report" install grantedCapabilities)"

begin smoke
if [[ -z $smoke_path ]]; then
  say "no smoke path given: skipped"
else
  url=${EXTHOST_URL%/}/api/ext/$extension_id$smoke_path
  curl_options=(--silent --show-error --output "$work_dir/smoke.body" --write-out '%{http_code}' --config -)
  [[ -n ${EXTHOST_CA:-} ]] && curl_options+=(--cacert "$EXTHOST_CA")
  # The key goes to curl on stdin, so it is never on a command line.
  status=$(printf 'header = "Authorization: Bearer %s"\n' "$EXTHOST_API_KEY" \
    | curl "${curl_options[@]}" "$url") || fail "GET $url: no answer (curl failed)"
  body=$(head -c 2000 "$work_dir/smoke.body")
  [[ $status == "$smoke_status" ]] || fail "GET $url answered $status, expected $smoke_status: $body"
  say "GET $smoke_path -> $status $body"
fi

say "==> done: $extension_id $version is published, installed and answering"
