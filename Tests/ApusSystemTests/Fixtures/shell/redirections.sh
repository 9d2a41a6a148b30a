# Redirections: > >> < 2>&1 2>/dev/null, here-documents (expanded and quoted), here-strings of a descriptor.
echo first > file
echo second >> file
cat < file
wc -l < file
ls no-such-file 2>&1 | sed 's/^ls: //'
ls no-such-file 2>/dev/null; echo "status $?"
{ echo grouped; echo output; } > grouped
cat grouped
name=world
cat <<END
hello $name
  indented $((1 + 2))
END
cat <<'END'
literal $name $((1 + 2))
END
cat <<-END
	tabs stripped
	END
exec 3> fd3; echo "to descriptor 3" >&3; exec 3>&-
cat fd3
echo to-stderr >&2
