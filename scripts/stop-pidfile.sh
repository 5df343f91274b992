# Sourced by local-down.sh and cluster-down.sh (which define `say`).
# stop_pidfile NAME PIDFILE: stops the process named in PIDFILE (TERM, up to 10 s, then KILL), says
# what it did, and removes the pidfile.
stop_pidfile() {
  local name=$1 pidfile=$2
  if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    kill "$(cat "$pidfile")"
    for _ in $(seq 1 40); do
      kill -0 "$(cat "$pidfile")" 2>/dev/null || break
      sleep 0.25
    done
    kill -9 "$(cat "$pidfile")" 2>/dev/null || true
    say "stopped $name"
  else
    say "$name was not running"
  fi
  rm -f "$pidfile"
}
