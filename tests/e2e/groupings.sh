#!/bin/sh
# Groupings end to end, across real channels: a generator (2 tasks) feeds
# tasklog bolts (tests/plugins/testkit.so) that emit [source component,
# source task, own task, word] per tuple into file sinks; the sink files
# show where every tuple went. Checks, per grouping: shuffle spreads
# evenly, fields sends each word to one task, global only to the lowest
# task, all to every task, local_or_shuffle stays in the worker; and tick
# tuples arrive on __system/__tick.
set -eu
. "$(dirname "$0")/lib.sh" || exit 99
plugin=$(build_file tests/plugins/testkit.so)
need_build "$plugin"
work_dir groupings

bolt() {  # id parallelism
    printf '  { id = "%s"; type = "tasklog"; plugin = "%s"; parallelism = %s;\n    fields = ["comp", "src", "task", "word"]; },\n' "$1" "$plugin" "$2"
    printf '  { id = "%s_out"; type = "file_sink"; path = "%s/%s"; },\n' "$1" "$tmp" "$1"
}
{
    echo 'name = "groupings-e2e";'
    echo 'config = { workers = 2; guarantee = "none"; };'
    echo 'spouts = ( { id = "gen"; type = "generator"; mode = "words"; seed = 3;'
    echo '             count = 6000; parallelism = 2; fields = ["word"]; } );'
    echo 'bolts = ('
    bolt shuffle 3; bolt fields 4; bolt glob 3; bolt all 3; bolt local 4
    echo '  { id = "zz_end"; type = "log"; level = "debug"; }'
    echo ');'
    echo 'streams = ('
    for g in shuffle:shuffle fields:fields glob:global all:all local:local_or_shuffle; do
        id=${g%%:*}; grouping=${g#*:}
        extra=""
        [ "$grouping" = fields ] && extra=' fields = ["word"];'
        echo "  { from = \"gen\"; to = \"$id\"; grouping = \"$grouping\";$extra },"
        echo "  { from = \"$id\"; to = \"${id}_out\"; grouping = \"global\"; },"
    done
    echo '  { from = "gen"; to = "zz_end"; grouping = "shuffle"; }'
    echo ');'
} > "$tmp/g.cfg"
"$GALE" plan "$tmp/g.cfg" > "$tmp/plan" || die "gale plan"
"$GALE" run "$tmp/g.cfg" 2> "$tmp/err" || { cat "$tmp/err"; die "gale run"; }

# Task ids and workers of a component, from `gale plan` (task comp index executor worker).
tasks_of() {
    awk -v c="$1" '/^tasks / { on = 1; next } /^executors / { on = 0 }
        on && $2 == c && $1 ~ /^[0-9]+$/ { print $1, $5 }' "$tmp/plan"
}

# shuffle: 6000 tuples over 3 tasks, each spout task round-robin: 2000 each.
cut -f3 "$tmp"/shuffle/part-* | sort | uniq -c > "$tmp/c"
[ "$(wc -l < "$tmp/c")" -eq 3 ] || die "shuffle reached $(wc -l < "$tmp/c") tasks"
awk '$1 != 2000 { exit 1 }' "$tmp/c" || die "shuffle uneven: $(tr '\n' ' ' < "$tmp/c")"

# fields: every word at exactly one task, and all 4 tasks used.
[ "$(cut -f3,4 "$tmp"/fields/part-* | sort -u | cut -f2 | sort | uniq -d | wc -l)" -eq 0 ] ||
    die "fields: a word reached two tasks"
[ "$(cut -f3 "$tmp"/fields/part-* | sort -u | wc -l)" -eq 4 ] || die "fields: not all tasks used"
[ "$(cat "$tmp"/fields/part-* | wc -l)" -eq 6000 ] || die "fields: tuples lost"

# global: all 6000 at the lowest task id of glob.
low=$(tasks_of glob | sort -n | head -1 | cut -d' ' -f1)
[ "$(cut -f3 "$tmp"/glob/part-* | sort -u)" = "$low" ] || die "global: not only task $low"
[ "$(cat "$tmp"/glob/part-* | wc -l)" -eq 6000 ] || die "global: tuples lost"

# all: every one of the 3 tasks got all 6000.
cut -f3 "$tmp"/all/part-* | sort | uniq -c > "$tmp/c"
[ "$(wc -l < "$tmp/c")" -eq 3 ] && awk '$1 != 6000 { exit 1 }' "$tmp/c" ||
    die "all: $(tr '\n' ' ' < "$tmp/c")"

# local_or_shuffle: each tuple stays in its spout task's worker.
tasks_of gen > "$tmp/w_gen"
tasks_of local > "$tmp/w_local"
cut -f2,3 "$tmp"/local/part-* | sort -u | while read -r src dst; do
    ws=$(awk -v t="$src" '$1 == t { print $2 }' "$tmp/w_gen")
    wd=$(awk -v t="$dst" '$1 == t { print $2 }' "$tmp/w_local")
    [ "$ws" = "$wd" ] || { echo "FAIL: local_or_shuffle sent task $src (worker $ws) to $dst (worker $wd)"; exit 1; }
done

# Tick tuples: a bolt with tick_secs = 1 under a 3-second rate-limited
# stream sees __system/__tick tuples with the period as their value.
cat > "$tmp/t.cfg" <<CFG
name = "ticks";
config = { guarantee = "none"; };
spouts = ( { id = "gen"; type = "generator"; mode = "words"; count = 30; rate = 10;
             fields = ["word"]; } );
bolts = ( { id = "tl"; type = "tasklog"; plugin = "$plugin";
            fields = ["comp", "src", "task", "word"]; config = { tick_secs = 1; }; },
          { id = "out"; type = "file_sink"; path = "$tmp/ticks"; } );
streams = ( { from = "gen"; to = "tl"; grouping = "shuffle"; },
            { from = "tl"; to = "out"; grouping = "global"; } );
CFG
"$GALE" run "$tmp/t.cfg" 2> "$tmp/err" || { cat "$tmp/err"; die "ticks run"; }
ticks=$(awk -F'\t' '$1 == "__system" && $2 == -1 && $4 == 1' "$tmp"/ticks/part-* | wc -l)
[ "$ticks" -ge 2 ] || die "expected >= 2 tick tuples, saw $ticks"
[ "$(awk -F'\t' '$1 == "gen"' "$tmp"/ticks/part-* | wc -l)" -eq 30 ] || die "ticks: data lost"
echo "PASS groupings ($ticks ticks)"
