#!/bin/sh
# berth-storage-helper: the one program the controller's admin key runs on the storage node
# (forced command of the berth-admin account, through sudo). It takes one request from
# SSH_ORIGINAL_COMMAND, validates every word before anything happens, and never hands a word to
# a shell. Requests:
#   add-node ACCOUNT ssh-ed25519 KEY   create the node's SFTP-only account (idempotent) and install
#                                      its public key; a replaced key loses its open sessions
#   remove-node ACCOUNT                end its sessions, take its directories back, delete it
#   grant RESERVATION ACCOUNT          the reservation's directory (created if missing) belongs
#                                      to ACCOUNT alone from now on; the previous owner's
#                                      sessions end (a moved reservation's old node loses access)
#   revoke RESERVATION                 the directory belongs to root: no node can reach it
#   release RESERVATION                delete the directory and its data
# Exit status: 0 done (or already so), 2 refused request, other: the failed system command's.
set -eu
PATH=/usr/sbin:/usr/bin:/sbin:/bin
export PATH
umask 022

CONF_DIR=/etc/berth-storage
KEYS_DIR=$CONF_DIR/keys
GROUP=berth-nodes

refuse() {
  printf 'berth-storage-helper: %s\n' "$*" >&2
  exit 2
}

valid_account() {
  # bn- plus a lower-case name: never root or a system account; 32 characters at most (useradd).
  case $1 in bn-*) ;; *) return 1 ;; esac
  case $1 in *[!a-z0-9-]*) return 1 ;; esac
  [ ${#1} -ge 4 ] && [ ${#1} -le 32 ]
}

valid_reservation() {
  case $1 in '' | -* | *[!A-Za-z0-9-]*) return 1 ;; esac
  [ ${#1} -le 64 ]
}

valid_key() {
  # An ed25519 public key is 68 base64 characters starting with its encoded type name.
  case $1 in AAAAC3NzaC1lZDI1NTE5*) ;; *) return 1 ;; esac
  case $1 in *[!A-Za-z0-9+/=]*) return 1 ;; esac
  [ ${#1} -eq 68 ]
}

need_args() { # VERB EXPECTED GOT USAGE
  [ "$2" -eq "$3" ] || refuse "$1: expected $4"
}

check_account() { valid_account "$1" || refuse "account: \"$1\" is not a Berth node account name (bn-[a-z0-9-], at most 32 characters)"; }
check_reservation() { valid_reservation "$1" || refuse "reservation: \"$1\" is not a reservation id (letters, digits and -, at most 64)"; }

# ---- parse: the whole request first, then word by word ----
request=${SSH_ORIGINAL_COMMAND-}
[ -n "$request" ] || refuse 'request: empty; expected add-node, remove-node, grant, revoke or release'
[ ${#request} -le 512 ] || refuse 'request: longer than 512 characters'
case $request in
  *[!A-Za-z0-9\ +/=-]*) refuse 'request: only letters, digits, spaces and + / = - are accepted' ;;
esac
set -f
IFS=' '
# shellcheck disable=SC2086 # word splitting on spaces is the point; globbing is off
set -- $request
verb=$1
shift
case $verb in
  add-node)
    need_args add-node 3 $# 'ACCOUNT ssh-ed25519 KEY'
    check_account "$1"
    [ "$2" = ssh-ed25519 ] || refuse "key type: only ssh-ed25519 is accepted, got \"$2\""
    valid_key "$3" || refuse 'key: not an ssh-ed25519 public key'
    ;;
  remove-node) need_args remove-node 1 $# ACCOUNT; check_account "$1" ;;
  grant) need_args grant 2 $# 'RESERVATION ACCOUNT'; check_reservation "$1"; check_account "$2" ;;
  revoke | release) need_args "$verb" 1 $# RESERVATION; check_reservation "$1" ;;
  *) refuse "verb: \"$verb\" is not one of add-node, remove-node, grant, revoke, release" ;;
esac

# ---- act ----
[ "$(id -u)" -eq 0 ] || refuse 'must run as root (through sudo, as the set-up script configures)'
base=$(cat "$CONF_DIR/base")
case $base in /*) ;; *) refuse "$CONF_DIR/base: not an absolute path" ;; esac
case $base in *[!A-Za-z0-9._/-]* | *..*) refuse "$CONF_DIR/base: unexpected characters" ;; esac
[ -d "$base" ] || refuse "$CONF_DIR/base: $base is not a directory"

is_node_account() {
  getent passwd "$1" >/dev/null && [ "$(id -gn -- "$1")" = "$GROUP" ]
}

end_sessions() {
  # Only ever a node account: its sftp sessions hold open handles the new owner must not share.
  if valid_account "$1" && is_node_account "$1"; then pkill -KILL -u "$1" || true; fi
}

owner_of() { stat -c %U -- "$1"; }

take_back() { # DIR: root owns it and everything in it; symbolic links are not followed
  chown -R -P -h -- root:root "$1"
  chmod 0700 -- "$1"
}

case $verb in
  add-node)
    account=$1 line="restrict $2 $3"
    if ! getent passwd "$account" >/dev/null; then
      # No password (not locked: sshd refuses locked accounts), no home, no shell.
      useradd --system --gid "$GROUP" --no-create-home --home-dir / --shell /usr/sbin/nologin --password '*' --comment 'Berth compute node' "$account"
    fi
    is_node_account "$account" || refuse "account: $account exists and is not in group $GROUP"
    file=$KEYS_DIR/$account
    if [ -f "$file" ] && [ "$(cat -- "$file")" = "$line" ]; then exit 0; fi
    tmp=$(mktemp "$KEYS_DIR/.new.XXXXXX")
    printf '%s\n' "$line" >"$tmp"
    chmod 0644 -- "$tmp"
    mv -f -- "$tmp" "$file"
    end_sessions "$account"
    ;;
  remove-node)
    account=$1
    getent passwd "$account" >/dev/null || { rm -f -- "$KEYS_DIR/$account"; exit 0; }
    is_node_account "$account" || refuse "account: $account exists and is not in group $GROUP"
    rm -f -- "$KEYS_DIR/$account"
    end_sessions "$account"
    # Its directories go to root before the uid is freed: a later account with the same uid
    # must not inherit them.
    find "$base" -mindepth 1 -maxdepth 1 -user "$account" -exec chown -R -P -h -- root:root '{}' +
    userdel "$account"
    ;;
  grant)
    dir=$base/$1 account=$2
    is_node_account "$account" || refuse "account: $account is not a Berth node account (add-node first)"
    if [ ! -e "$dir" ]; then
      mkdir -m 0700 -- "$dir"
      chown -h -- "$account:$GROUP" "$dir"
      exit 0
    fi
    [ -d "$dir" ] && [ ! -L "$dir" ] || refuse "reservation: $dir is not a directory"
    previous=$(owner_of "$dir")
    chown -R -P -h -- "$account:$GROUP" "$dir"
    chmod 0700 -- "$dir"
    [ "$previous" = "$account" ] || end_sessions "$previous"
    ;;
  revoke)
    dir=$base/$1
    [ -e "$dir" ] || exit 0
    previous=$(owner_of "$dir")
    take_back "$dir"
    end_sessions "$previous"
    ;;
  release)
    dir=$base/$1
    [ -e "$dir" ] || exit 0
    # Unreachable first, then gone: rm does not follow symbolic links the node may have left.
    take_back "$dir"
    rm -rf -- "$dir"
    ;;
esac
