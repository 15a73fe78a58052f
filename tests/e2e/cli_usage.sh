#!/bin/sh
# cli_usage.sh - the gale command's conventions: --version, --help,
# COMMAND --help, and usage errors (exit 2, message on stderr only).
set -u
. "$(dirname "$0")/lib.sh" || exit 99
work_dir cli_usage

# run EXPECTED_STATUS ARGS...: runs gale, output in $tmp/out and $tmp/err.
run() {
    want=$1
    shift
    "$GALE" "$@" >"$tmp/out" 2>"$tmp/err"
    got=$?
    [ "$got" -eq "$want" ] || fail "gale $*: exit $got, expected $want"
}

# same FILE TEXT: FILE's content is exactly TEXT.
same() {
    printf '%s\n' "$2" >"$tmp/want"
    cmp -s "$1" "$tmp/want" || {
        fail "$1 differs from the expected text:"
        diff "$tmp/want" "$1"
    }
}

empty() {
    [ ! -s "$1" ] || { fail "$2: expected nothing on $(basename "$1")"; cat "$1"; }
}

run 0 --version
same "$tmp/out" "gale 0.1.0"
empty "$tmp/err" "--version"

run 0 -V
same "$tmp/out" "gale 0.1.0"

run 0 --help
head -n 1 "$tmp/out" >"$tmp/first"
same "$tmp/first" "usage: gale [--version] [--help] COMMAND [ARGS]"
for c in validate graph plan run; do
    grep -q "^  $c " "$tmp/out" || fail "--help does not list $c"
done
empty "$tmp/err" "--help"

run 0 -h
head -n 1 "$tmp/out" >"$tmp/first"
same "$tmp/first" "usage: gale [--version] [--help] COMMAND [ARGS]"

run 2
empty "$tmp/out" "no command"
same "$tmp/err" "gale: no command given
usage: gale [--version] [--help] COMMAND [ARGS]
Try 'gale --help' for more information."

run 2 frobnicate
empty "$tmp/out" "unknown command"
same "$tmp/err" "gale: unknown command 'frobnicate'
usage: gale [--version] [--help] COMMAND [ARGS]
Try 'gale --help' for more information."

run 2 --frobnicate
empty "$tmp/out" "unknown option"
same "$tmp/err" "gale: unknown option '--frobnicate'
usage: gale [--version] [--help] COMMAND [ARGS]
Try 'gale --help' for more information."

run 2 -x
same "$tmp/err" "gale: unknown option '-x'
usage: gale [--version] [--help] COMMAND [ARGS]
Try 'gale --help' for more information."

for c in validate graph plan; do
    run 0 "$c" --help
    head -n 1 "$tmp/out" >"$tmp/first"
    grep -q "^usage: gale $c .*FILE\$" "$tmp/first" ||
        fail "gale $c --help: first line is '$(cat "$tmp/first")'"
    grep -q -- "--properties FILE" "$tmp/out" ||
        fail "gale $c --help does not document --properties"
    empty "$tmp/err" "$c --help"
done
run 0 run --help
grep -q "^usage: gale run " "$tmp/out" || fail "gale run --help: no usage"

run 2 validate
empty "$tmp/out" "validate without FILE"
same "$tmp/err" "gale: validate: missing FILE
usage: gale validate [--properties FILE] [-c KEY=VALUE]... FILE
Try 'gale validate --help' for more information."

run 2 validate --bogus x.cfg
same "$tmp/err" "gale: validate: unknown option '--bogus'
usage: gale validate [--properties FILE] [-c KEY=VALUE]... FILE
Try 'gale validate --help' for more information."

run 2 plan -q x.cfg
same "$tmp/err" "gale: plan: unknown option '-q'
usage: gale plan [--properties FILE] [-c KEY=VALUE]... [-v] FILE
Try 'gale plan --help' for more information."

run 2 graph a.cfg b.cfg
same "$tmp/err" "gale: graph: unexpected operand 'b.cfg'
usage: gale graph [--properties FILE] [-c KEY=VALUE]... FILE
Try 'gale graph --help' for more information."

run 2 validate x.cfg --properties
same "$tmp/err" "gale: validate: option '--properties' needs an argument
usage: gale validate [--properties FILE] [-c KEY=VALUE]... FILE
Try 'gale validate --help' for more information."

run 2 validate -c novalue x.cfg
same "$tmp/err" "gale: validate: -c expects KEY=VALUE, not 'novalue'
usage: gale validate [--properties FILE] [-c KEY=VALUE]... FILE
Try 'gale validate --help' for more information."

# -v belongs to plan, not to validate.
run 2 validate -v x.cfg
head -n 1 "$tmp/err" >"$tmp/first"
same "$tmp/first" "gale: validate: unknown option '-v'"

# A file that is not there: the loader's message, exit 2, nothing on stdout.
run 2 validate "$tmp/missing.cfg"
empty "$tmp/out" "validate of a missing file"
same "$tmp/err" "$tmp/missing.cfg: cannot open: No such file or directory"

# '--' ends the options: a file named like an option is an operand.
run 2 validate -- --help
empty "$tmp/out" "validate -- --help"
same "$tmp/err" "--help: cannot open: No such file or directory"

# Output that cannot be written is an error, not silence.
if [ -w /dev/full ]; then
    "$GALE" --help >/dev/full 2>"$tmp/err"
    [ $? -eq 1 ] || fail "gale --help >/dev/full: expected exit 1"
    grep -q "^gale: error writing output" "$tmp/err" ||
        fail "gale --help >/dev/full: no error message"
fi

finish "ok"
