#!/bin/sh
# Install Aviary from this offline bundle into a new virtualenv: no network, no root.
#
#   ./install.sh DEST        (PYTHON=/path/to/python3 ./install.sh DEST for another python3)
#
# DEST must not exist yet, or be empty. Afterwards DEST/bin/aviary is the command, e.g.
#   DEST/bin/aviary run eventlog --zk none --set eventlog.data_dir=/var/lib/eventlog
# Only the wheels beside this script are used: pip's configuration and PIP_* variables are
# ignored, and no index is asked. The venv is made without pip and pip comes from the bundle,
# so a python3 without Debian's python3-venv (ensurepip) installs as well.
set -eu

if [ $# -ne 1 ] || [ "$1" = "-h" ] || [ "$1" = "--help" ]; then
    echo "usage: $0 DEST   (makes a virtualenv at DEST and installs Aviary into it)" >&2
    exit 2
fi
dest=$1
here=$(cd "$(dirname "$0")" && pwd)
python=${PYTHON:-python3}

fail() {
    echo "install.sh: $*" >&2
    exit 1
}

command -v "$python" >/dev/null 2>&1 || fail "$python not found (set PYTHON=/path/to/python3)"
want=$(sed -n 's/^python //p' "$here/BUNDLE")
have=$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
[ "$want" = "$have" ] || fail "this bundle's wheels are for Python $want; $python is $have (use a bundle built with Python $have, or PYTHON=python$want)"
if [ -e "$dest" ] && [ -n "$(ls -A "$dest")" ]; then
    fail "$dest exists and is not empty"
fi

# Every file as it was built (a truncated copy fails here, not halfway through the install).
if command -v sha256sum >/dev/null 2>&1; then
    (cd "$here" && sha256sum --check --quiet SHA256SUMS) || fail "the bundle is damaged: files differ from SHA256SUMS"
fi

for pip_wheel in "$here"/wheels/pip-*.whl; do :; done
[ -f "$pip_wheel" ] || fail "no pip wheel in $here/wheels"

# pip sees only the bundle: no configuration files, no PIP_* settings from the environment.
for name in $(env | sed -n 's/^\(PIP_[A-Za-z0-9_]*\)=.*/\1/p'); do
    unset "$name"
done
export PIP_CONFIG_FILE=/dev/null PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1

"$python" -m venv --without-pip "$dest"
# pip runs from its own wheel (as pip's docs allow) to install itself and Aviary into the venv.
"$dest/bin/python" "$pip_wheel/pip" install --no-index --find-links "$here/wheels" --no-cache-dir --quiet aviary pip
"$dest/bin/aviary" --help >/dev/null
echo "installed: $dest/bin/aviary"
