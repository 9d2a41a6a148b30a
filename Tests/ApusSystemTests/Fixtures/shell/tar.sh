# tar: create, list, extract (also gzip-compressed), and the files come back the same.
mkdir -p src/sub
printf 'first\n' > src/a
seq 1 2000 > src/sub/b
touch src/empty
tar -cf archive.tar src
tar -tf archive.tar | sort
mkdir out
tar -xf archive.tar -C out
cmp src/sub/b out/src/sub/b && echo "extracted the same"
tar -czf archive.tgz src
mkdir out2
tar -xzf archive.tgz -C out2
cat out2/src/a
find out2 | sort
