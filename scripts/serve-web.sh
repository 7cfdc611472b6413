#!/usr/bin/env bash
# Serves the OPG web page (clients/web: static files and the bundle `scripts/setup.sh` builds)
# on http://127.0.0.1:PORT and prints its address, which names the node the page talks to.
#
#   scripts/serve-web.sh [--port 8080] [--node ws://127.0.0.1:9944] [--bind 127.0.0.1]
#
# The page itself reads the node from its `?node=` parameter, so one server serves pages for
# any node. Stop it with Ctrl-C.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

port=8080
node_url=ws://127.0.0.1:9944
bind=127.0.0.1
while (($#)); do
	case $1 in
	--port) port=${2:?--port needs a number}; shift 2 ;;
	--node) node_url=${2:?--node needs a URL such as ws://127.0.0.1:9944}; shift 2 ;;
	--bind) bind=${2:?--bind needs an address}; shift 2 ;;
	-h | --help) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) die "unknown argument $1 (see $0 --help)" ;;
	esac
done
[[ $port =~ ^[0-9]+$ ]] && ((port > 0 && port < 65536)) || die "--port $port is not a port number"
[[ $node_url =~ ^wss?:// ]] || die "--node $node_url is not a ws:// or wss:// URL"

web="$OPG_ROOT/clients/web"
[ -f "$web/dist/opg.js" ] ||
	die "$web/dist/opg.js is missing: run scripts/setup.sh (it builds the page with npm), or: cd clients/typescript && npm ci && npm run build"
command -v python3 >/dev/null || die "python3 not found (Debian: apt-get install python3)"

# The query string is percent-encoded so that any URL survives as one parameter.
encoded=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$node_url")
log "serving $web"
log "open http://$bind:$port/?node=$encoded"
# Static files only: Python's own file server, nothing of ours runs on the server side.
exec python3 -m http.server "$port" --bind "$bind" --directory "$web"
