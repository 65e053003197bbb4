#!/bin/sh
# Kernel scheduler trace for bench/trace/late-round-trips.mjs (Linux, root, tracefs). Not part of any test.
#   bench/trace/trace.sh on            start recording (clears the buffer; mono clock, tgids, 256 MiB per CPU)
#   bench/trace/trace.sh save FILE     stop recording and write the trace to FILE
set -eu
T=/sys/kernel/tracing
[ -d "$T/events" ] || mount -t tracefs nodev "$T"
case "${1:-}" in
  on)
    echo 0 > "$T/tracing_on"
    echo > "$T/trace"
    echo mono > "$T/trace_clock" # CLOCK_MONOTONIC: the clock of process.hrtime(), so samples line up
    echo 262144 > "$T/buffer_size_kb"
    echo 1 > "$T/options/record-tgid"
    echo > "$T/set_event"
    for e in sched:sched_switch sched:sched_waking sched:sched_wakeup; do echo "$e" >> "$T/set_event"; done
    echo 1 > "$T/tracing_on"
    ;;
  save)
    echo 0 > "$T/tracing_on"
    cat "$T/trace" > "$2"
    echo > "$T/set_event"
    ;;
  *)
    echo "usage: $0 on | save FILE" >&2
    exit 2
    ;;
esac
