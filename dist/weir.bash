# bash completion for weir(8). The candidates come from the binary itself
# (`weir --complete WORD... CURRENT`, from its command tables), so this
# file never needs to change when a command or option does. Service names
# come from the running controller, when its socket answers.

_weir()
{
	local cur=${2-${COMP_WORDS[COMP_CWORD]}} line words

	words=("${COMP_WORDS[@]:1:COMP_CWORD-1}")
	# `--proto=t`: bash makes "=" a word; the binary joins it back
	if [[ ${COMP_WORDS[COMP_CWORD]} == "=" ]]; then
		words+=("=")
		[[ $cur == "=" ]] && cur=
	fi
	COMPREPLY=()
	while IFS= read -r line; do
		case $line in
		@file)
			compopt -o filenames 2>/dev/null
			mapfile -t -O "${#COMPREPLY[@]}" COMPREPLY < <(compgen -f -- "$cur")
			;;
		@group)
			mapfile -t -O "${#COMPREPLY[@]}" COMPREPLY < <(compgen -g -- "$cur")
			;;
		*) COMPREPLY+=("$line") ;;
		esac
	done < <("${1:-weir}" --complete "${words[@]}" "$cur" 2>/dev/null)
}

complete -F _weir weir
