# grep: plain, -i, -v, -c, -n, -E, -o, -w, -l, -q and its status.
printf 'alpha\nBeta\ngamma\nalphabet\ndelta 42\n' > text
grep alpha text
grep -i beta text
grep -v a text
grep -c a text
grep -n mm text
grep -E '^(al|de)' text
grep -o '[0-9]\+' text
grep -w alpha text
cp text other; grep -l gamma text other
grep -q zeta text; echo "status $?"
grep -q Beta text; echo "status $?"
grep nothing text; echo "status $?"
