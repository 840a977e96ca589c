#!/bin/sh
# Writes the settings that come from the environment (docker-compose.yml passes .env) into /etc/asterisk/parley,
# then runs the command (Asterisk in the foreground).
set -eu

conf=${PARLEY_ASTERISK_CONF_DIR:-/etc/asterisk/parley}
ARI_USER=${ARI_USER:-parley}
ARI_PASSWORD=${ARI_PASSWORD:-parley}

case "$ARI_USER" in
  '' | *[!A-Za-z0-9_-]*) echo "ARI_USER must be letters, digits, '_' or '-' (got '$ARI_USER')" >&2; exit 64 ;;
esac
case "$ARI_PASSWORD" in
  *[\;\[\]]* | *"
"*) echo "ARI_PASSWORD must not contain ';', '[', ']' or a newline (Asterisk config syntax)" >&2; exit 64 ;;
esac

# The dialer logs in with the same ARI_USER / ARI_PASSWORD.
cat >"$conf/ari_users.conf" <<CONF
[$ARI_USER]
type = user
read_only = no
password_format = plain
password = $ARI_PASSWORD
CONF

# NAT: inside Docker, Asterisk's own address is the container's; trunks must be told the host's address in SIP and
# SDP, except for peers on ASTERISK_LOCAL_NET (comma-separated CIDRs).
: >"$conf/pjsip_nat.conf"
if [ -n "${ASTERISK_EXTERNAL_ADDRESS:-}" ]; then
  for transport in transport-udp transport-tcp; do
    {
      echo "[$transport](+)"
      echo "external_media_address = $ASTERISK_EXTERNAL_ADDRESS"
      echo "external_signaling_address = $ASTERISK_EXTERNAL_ADDRESS"
      for net in $(echo "${ASTERISK_LOCAL_NET:-}" | tr ',' ' '); do echo "local_net = $net"; done
      echo
    } >>"$conf/pjsip_nat.conf"
  done
fi

exec "$@"
