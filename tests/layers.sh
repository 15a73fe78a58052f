#!/bin/sh
# layers.sh - fails when an #include points up or across the map of
# docs/engine.md ("The house"): every quoted include of every C file in the
# tree is checked against what its folder may see. Prints each offending
# line as file:line: what is wrong, and exits 1 if there is one.
#
#   include/gale    gale/ only (system headers aside)
#   common/         common/
#   topology/       common/, topology/
#   spouts/ bolts/  common/, their own folder
#   compat/multilang common/, compat/multilang/
#   compat/flux     common/, compat/flux/, topology/ (it writes the DSL)
#   engine/L        common/, topology/, engine/L' for L' at or below L in
#                   metrics < web < wire < net < transport < state
#                   < checkpoint < exec < run < cluster
#   cli/ tests/ bench/  anything (cli/ composes the program)
# Angle-bracket includes (<gale/...>, system headers) are always allowed;
# "config.h" (autoconf's) is allowed everywhere.

src=${srcdir:-$(dirname "$0")/..}
cd "$src" || exit 99

engine_rank() {
    case $1 in
    metrics) echo 1 ;; web) echo 2 ;; wire) echo 3 ;; net) echo 4 ;;
    transport) echo 5 ;; state) echo 6 ;; checkpoint) echo 7 ;; exec) echo 8 ;;
    run) echo 9 ;; cluster) echo 10 ;;
    *) echo 0 ;;
    esac
}

bad=0
files=$(find include common topology spouts bolts compat engine \
    -name '*.[ch]' | sort)
[ -n "$files" ] || { echo "layers.sh: no sources found under $src" >&2; exit 99; }
for f in $files; do
    dir=${f%/*}
    grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$f" |
    while IFS= read -r line; do
        n=${line%%:*}
        inc=$(printf '%s\n' "$line" | sed 's/.*include[[:space:]]*"\([^"]*\)".*/\1/')
        [ "$inc" = config.h ] && continue
        top=${inc%%/*}
        ok=no
        why=""
        case $dir in
        include/gale) why="the public API includes only <gale/...>" ;;
        common) [ "$top" = common ] && ok=yes
            why="common/ sees common/ only" ;;
        topology) case $top in common|topology) ok=yes ;; esac
            why="topology/ sees common/ and topology/ only" ;;
        spouts|bolts) case $inc in common/*|"$dir"/*) ok=yes ;; esac
            why="$dir/ sees include/gale, common/ and itself only" ;;
        compat/multilang) case $inc in common/*|compat/multilang/*) ok=yes ;; esac
            why="compat/multilang sees include/gale, common/ and itself only" ;;
        compat/flux) case $inc in common/*|compat/flux/*|topology/*) ok=yes ;; esac
            why="compat/flux sees include/gale, common/, topology/ and itself only" ;;
        engine/*)
            mine=${dir#engine/}
            mine=${mine%%/*}
            mr=$(engine_rank "$mine")
            case $inc in
            common/*|topology/*) ok=yes ;;
            engine/*/*)
                theirs=${inc#engine/}
                theirs=${theirs%%/*}
                tr=$(engine_rank "$theirs")
                if [ "$mr" -gt 0 ] && [ "$tr" -gt 0 ] && [ "$tr" -le "$mr" ]; then
                    ok=yes
                else
                    why="engine/$mine may not include engine/$theirs (it is not below)"
                fi ;;
            *) why="engine/$mine may not include $top/" ;;
            esac
            [ "$mr" -gt 0 ] || why="engine/$mine is not a folder of the map in docs/engine.md" ;;
        *) why="$dir is not a folder of the map in docs/engine.md" ;;
        esac
        if [ $ok = no ]; then
            echo "$f:$n: includes \"$inc\": $why"
            echo x >> "${TMPDIR:-/tmp}/layers.$$"
        fi
    done
done
if [ -s "${TMPDIR:-/tmp}/layers.$$" ]; then
    bad=1
fi
rm -f "${TMPDIR:-/tmp}/layers.$$"
if [ $bad = 0 ]; then
    echo "layers: $(echo "$files" | wc -l) files, every include points down"
fi
exit $bad
