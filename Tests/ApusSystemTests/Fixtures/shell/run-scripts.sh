# Runs the shell scripts of this folder with busybox's sh, each in a fresh folder of its own,
# and prints for each a record the differential test compares byte for byte:
#   @@@ NAME STATUS OUTPUT-BYTES ERROR-BYTES
# then the script's standard output, then its standard error.
# Usage: sh run-scripts.sh SCRIPTS-FOLDER SCRATCH-FOLDER NAME...
scripts=$1
scratch=$2
shift 2
export PATH=/bin:/usr/bin LC_ALL=C TZ=UTC
unset CDPATH ENV
for name in "$@"; do
    mkdir -p "$scratch/$name.d"
    (cd "$scratch/$name.d" && exec sh "$scripts/$name.sh" < /dev/null > "$scratch/$name.out" 2> "$scratch/$name.err")
    status=$?
    echo "@@@ $name $status $(wc -c < "$scratch/$name.out") $(wc -c < "$scratch/$name.err")"
    cat "$scratch/$name.out" "$scratch/$name.err"
done
