# write_section FILE NAME CONTENT replaces the lines between "<!-- NAME -->"
# and "<!-- /NAME -->" in FILE with CONTENT, or appends the section when FILE
# has none, so that each script keeps its own part of bench/RESULTS.md.
write_section() {
	local file=$1 name=$2 tmp
	tmp=$(mktemp)
	[ -f "$file" ] || printf '# Benchmark results\n' >"$file"
	if grep -qx "<!-- $name -->" "$file"; then
		CONTENT=$3 awk -v name="$name" '
			$0 == "<!-- " name " -->" { print; print ENVIRON["CONTENT"]; skip = 1; next }
			$0 == "<!-- /" name " -->" { skip = 0 }
			!skip { print }' "$file" >"$tmp"
	else
		{ cat "$file"; printf '\n<!-- %s -->\n%s\n<!-- /%s -->\n' "$name" "$3" "$name"; } >"$tmp"
	fi
	mv "$tmp" "$file"
}
