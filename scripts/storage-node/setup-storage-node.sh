#!/bin/sh
# Prepares a storage node for Berth's remote profile; idempotent (run it again after an upgrade).
#   setup-storage-node.sh BASE_DIR CONTROLLER_PUBLIC_KEY_FILE
# BASE_DIR (e.g. /srv/berth) holds one directory per remote reservation. It becomes the chroot of
# the compute nodes' accounts: root-owned, mode 0711, so a node reaches only the directories
# granted to its own account and cannot even list the others' names. The controller logs in as
# berth-admin with the key given here; that key runs only berth-storage-helper (add-node,
# remove-node, grant, revoke, release), never a shell. Needs root, sudo and OpenSSH's sshd.
set -eu
PATH=/usr/sbin:/usr/bin:/sbin:/bin
export PATH
umask 022

HERE=$(cd "$(dirname "$0")" && pwd)
CONF_DIR=/etc/berth-storage
HELPER=/usr/local/sbin/berth-storage-helper
ADMIN=berth-admin
GROUP=berth-nodes
SSHD_DROP_IN=/etc/ssh/sshd_config.d/berth-storage.conf

die() { printf 'setup-storage-node: %s\n' "$*" >&2; exit 2; }

[ $# -eq 2 ] || die 'usage: setup-storage-node.sh BASE_DIR CONTROLLER_PUBLIC_KEY_FILE'
base=$1 keyfile=$2
case $base in /*) ;; *) die "BASE_DIR: \"$base\" must be an absolute path" ;; esac
case $base in / | *[!A-Za-z0-9._/-]* | *..*) die "BASE_DIR: \"$base\" must be a plain path (letters, digits, . _ - /), not /" ;; esac
base=${base%/}
[ -r "$keyfile" ] || die "CONTROLLER_PUBLIC_KEY_FILE: cannot read $keyfile"
set -f
# shellcheck disable=SC2046 # the key file's first line: type, key, optional comment
set -- $(head -n 1 -- "$keyfile")
set +f
[ $# -ge 2 ] && [ "$1" = ssh-ed25519 ] || die "CONTROLLER_PUBLIC_KEY_FILE: $keyfile is not an ssh-ed25519 public key"
case $2 in *[!A-Za-z0-9+/=]*) die "CONTROLLER_PUBLIC_KEY_FILE: $keyfile is not an ssh-ed25519 public key" ;; esac
admin_key="$1 $2"
[ "$(id -u)" -eq 0 ] || die 'run as root'
command -v sudo >/dev/null || die 'sudo is required (Debian: apt-get install sudo)'

# Accounts: the nodes' group, and the controller's non-root admin account (its shell runs only
# the forced command; no password, not locked, since sshd refuses locked accounts).
getent group "$GROUP" >/dev/null || groupadd --system "$GROUP"
if ! getent passwd "$ADMIN" >/dev/null; then
  useradd --system --no-create-home --home-dir / --shell /bin/sh --password '*' --comment 'Berth controller' "$ADMIN"
fi

# Every component of a chroot must be root-owned and writable by root only.
mkdir -p -- "$base"
chown root:root -- "$base"
chmod 0711 -- "$base"

mkdir -p -- "$CONF_DIR/keys"
chown root:root -- "$CONF_DIR" "$CONF_DIR/keys"
chmod 0755 -- "$CONF_DIR" "$CONF_DIR/keys"
printf '%s\n' "$base" >"$CONF_DIR/base"
chmod 0644 -- "$CONF_DIR/base"
install -o root -g root -m 0755 -- "$HERE/berth-storage-helper.sh" "$HELPER"
printf 'restrict,command="sudo -n %s" %s berth-controller\n' "$HELPER" "$admin_key" >"$CONF_DIR/keys/$ADMIN"
chmod 0644 -- "$CONF_DIR/keys/$ADMIN"

# berth-admin may run the helper as root, with no arguments, keeping only the request.
sudoers=$(mktemp)
cat >"$sudoers" <<SUDOERS
Defaults!$HELPER env_keep += "SSH_ORIGINAL_COMMAND"
$ADMIN ALL=(root) NOPASSWD: $HELPER ""
SUDOERS
visudo -c -q -f "$sudoers" >/dev/null || { rm -f -- "$sudoers"; die 'the generated sudoers rule does not parse'; }
mkdir -p /etc/sudoers.d
install -o root -g root -m 0440 -- "$sudoers" /etc/sudoers.d/berth-storage
rm -f -- "$sudoers"

mkdir -p -- "$(dirname "$SSHD_DROP_IN")"
cat >"$SSHD_DROP_IN" <<SSHD
# Berth storage node (written by setup-storage-node.sh). Keys live outside every chroot, owned by
# root, one file per account; a compute node cannot change its own.
Match Group $GROUP
    ChrootDirectory $base
    ForceCommand internal-sftp
    AuthorizedKeysFile $CONF_DIR/keys/%u
    PasswordAuthentication no
    KbdInteractiveAuthentication no
    AllowTcpForwarding no
    AllowStreamLocalForwarding no
    AllowAgentForwarding no
    X11Forwarding no
    PermitTunnel no
    PermitTTY no
Match User $ADMIN
    ForceCommand sudo -n $HELPER
    AuthorizedKeysFile $CONF_DIR/keys/%u
    PasswordAuthentication no
    KbdInteractiveAuthentication no
    AllowTcpForwarding no
    AllowStreamLocalForwarding no
    AllowAgentForwarding no
    X11Forwarding no
    PermitTunnel no
    PermitTTY no
SSHD
chmod 0644 -- "$SSHD_DROP_IN"
echo "storage node ready: base $base, helper $HELPER, sshd rules $SSHD_DROP_IN (reload sshd to apply them)"
