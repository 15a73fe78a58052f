#!/bin/sh
# keygen.sh - `gale keygen`: the files it writes and their modes (also
# under umask 000), the public key it prints (the one in both files), its
# refusal to overwrite a key, and usage errors (exit 2, nothing written).
set -u
. "$(dirname "$0")/lib.sh" || exit 99
work_dir keygen
# mode FILE: its permission bits in octal.
mode() {
    stat -c %a "$1"
}

# keyof FILE SETTING: the quoted value of SETTING in the key file FILE.
keyof() {
    sed -n "s/^$2 = \"\\(.*\\)\"\$/\\1/p" "$1"
}

# A new key pair in a directory keygen has to make, under umask 000: the
# secret must still be 0600.
(umask 000; "$GALE" keygen -o "$tmp/keys" host1 >"$tmp/out" 2>"$tmp/err")
rc=$?
[ "$rc" -eq 0 ] || { fail "keygen host1: exit $rc"; cat "$tmp/err"; }
[ -f "$tmp/keys/host1.key" ] || fail "no host1.key"
[ -f "$tmp/keys/host1.key_secret" ] || fail "no host1.key_secret"
[ "$(mode "$tmp/keys/host1.key_secret")" = 600 ] ||
    fail "host1.key_secret has mode $(mode "$tmp/keys/host1.key_secret")"
[ "$(mode "$tmp/keys/host1.key")" = 644 ] ||
    fail "host1.key has mode $(mode "$tmp/keys/host1.key")"
printed=$(cat "$tmp/out")
[ "$(wc -l <"$tmp/out")" -eq 1 ] || fail "stdout is not one line"
[ "${#printed}" -eq 40 ] || fail "printed key '$printed' is not 40 characters"
[ "$printed" = "$(keyof "$tmp/keys/host1.key" public-key)" ] ||
    fail "printed key differs from host1.key"
[ "$printed" = "$(keyof "$tmp/keys/host1.key_secret" public-key)" ] ||
    fail "printed key differs from host1.key_secret's public-key"
secret=$(keyof "$tmp/keys/host1.key_secret" secret-key)
[ "${#secret}" -eq 40 ] || fail "secret-key is not 40 characters"
[ "$secret" != "$printed" ] || fail "secret-key equals the public key"
grep -q secret-key "$tmp/keys/host1.key" && fail "host1.key holds a secret"
grep -qF -e "$secret" "$tmp/out" "$tmp/err" && fail "the secret key was printed"

# Never overwritten: exit 1, a message naming the file, files unchanged.
cp "$tmp/keys/host1.key_secret" "$tmp/secret.before"
"$GALE" keygen -o "$tmp/keys" host1 >"$tmp/out2" 2>"$tmp/err2"
rc=$?
[ "$rc" -eq 1 ] || fail "second keygen host1: exit $rc, expected 1"
grep -q "host1.key exists: not overwriting" "$tmp/err2" ||
    { fail "no refusal message:"; cat "$tmp/err2"; }
[ ! -s "$tmp/out2" ] || fail "refused keygen printed on stdout"
cmp -s "$tmp/secret.before" "$tmp/keys/host1.key_secret" ||
    fail "host1.key_secret changed"
# Not even when only the secret is left.
rm "$tmp/keys/host1.key"
"$GALE" keygen -o "$tmp/keys" host1 >/dev/null 2>&1 &&
    fail "keygen overwrote a lone host1.key_secret"
[ ! -e "$tmp/keys/host1.key" ] || fail "refused keygen wrote host1.key"

# Another name, in the current directory: another key.
(cd "$tmp" && "$GALE" keygen host2 >"$tmp/out3" 2>/dev/null) ||
    fail "keygen host2 in the current directory"
[ -f "$tmp/host2.key" ] && [ -f "$tmp/host2.key_secret" ] ||
    fail "host2's files are not in the current directory"
[ "$(cat "$tmp/out3")" != "$printed" ] || fail "two keygens gave one key"

# Usage errors: exit 2, a message on stderr, nothing written.
for args in "" "a b" "../evil" ".hidden" "-o" "-x name"; do
    # shellcheck disable=SC2086
    (cd "$tmp" && "$GALE" keygen $args >"$tmp/out4" 2>"$tmp/err4")
    rc=$?
    [ "$rc" -eq 2 ] || fail "keygen $args: exit $rc, expected 2"
    [ -s "$tmp/err4" ] || fail "keygen $args: no message"
    [ ! -s "$tmp/out4" ] || fail "keygen $args: wrote on stdout"
done
[ ! -e "$tmp/evil.key" ] && [ ! -e "$tmp/.hidden.key" ] ||
    fail "a refused name was written"
"$GALE" keygen --help >"$tmp/help" 2>&1 && grep -q "NAME.key_secret" "$tmp/help" ||
    fail "keygen --help"

finish "keygen: all checks passed"
