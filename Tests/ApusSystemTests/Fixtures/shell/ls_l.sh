# ls -l filtered to the columns that do not depend on the time, the user or the host's file
# system: the type, then the link count and size of regular files, then the name. Also ls -1,
# -a and -d.
mkdir dir
printf 'abc' > three
printf '%100s' x > hundred
ln three three-link
touch empty
ls -l | awk 'NR > 1 { type = substr($1, 1, 1); if (type == "-") print type, $2, $5, $9; else print type, $9 }'
ls -1
ls -a
ls -d dir
ls -l three-link | awk '{ print $2, $5, $9 }'
rm three
ls -l three-link | awk '{ print $2, $5, $9 }'
