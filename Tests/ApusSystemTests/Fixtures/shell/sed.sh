# sed: s with flags and groups, addresses, d, p with -n, y, a/i, several expressions, -i.
printf 'one\ntwo\nthree\nfour\n' > f
sed 's/o/0/' f
sed 's/o/0/g' f | tr '\n' ' '; echo
sed -n '2,3p' f
sed '/two/d' f
sed -n '$p' f
sed 's/\(t\)\(.*\)/\2-\1/' f
sed -E 's/(o+)/[\1]/g' f
sed 'y/otw/OTW/' f
sed -e '1i\
header' -e '$a\
footer' f
sed -e 's/one/1/' -e 's/two/2/' f
sed -i 's/three/3/' f; cat f
