# bash completion for fidrun (make install puts it in
# PREFIX/share/bash-completion/completions/fidrun). The options of each
# command are read from its own --help page, so they never drift from the
# binary; values are completed where the set is fixed.

_fidrun_commands="run validate balance pack gptq gptq-check compare history recover report detect-size"

# the options a command's --help page names (cached per command)
_fidrun_options() {
  local cmd=$1 var
  var="_fidrun_opts_${cmd//-/_}"
  if [ -z "${!var:-}" ]; then
    local page
    if [ "$cmd" = fidrun ]; then page=$("${COMP_WORDS[0]}" --help 2>/dev/null)
    else page=$("${COMP_WORDS[0]}" "$cmd" --help 2>/dev/null); fi
    printf -v "$var" '%s' "$(grep -o -- '--[a-z][a-z0-9-]*' <<<"$page" | sort -u | tr '\n' ' ')"
  fi
  printf '%s' "${!var}"
}

_fidrun() {
  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]} cmd=fidrun
  COMPREPLY=()
  if [ "$COMP_CWORD" -ge 2 ] && [[ " $_fidrun_commands " == *" ${COMP_WORDS[1]} "* ]]; then
    cmd=${COMP_WORDS[1]}
  fi
  case $prev in
  --device) mapfile -t COMPREPLY < <(compgen -W "auto cpu cuda" -- "$cur"); return ;;
  --progress) mapfile -t COMPREPLY < <(compgen -W "auto live log off" -- "$cur"); return ;;
  --suite) mapfile -t COMPREPLY < <(compgen -W "osft balance quant gptq" -- "$cur"); return ;;
  --format)
    case $cmd in
    report) mapfile -t COMPREPLY < <(compgen -W "text json csv junit html" -- "$cur") ;;
    compare) mapfile -t COMPREPLY < <(compgen -W "text json junit html" -- "$cur") ;;
    history) mapfile -t COMPREPLY < <(compgen -W "text html" -- "$cur") ;;
    gptq) mapfile -t COMPREPLY < <(compgen -W "gptq gptq_v2" -- "$cur") ;;
    esac
    return
    ;;
  --out | --resume | --original)
    if [ "$cmd" = gptq ] && [ "$prev" = --out ]; then mapfile -t COMPREPLY < <(compgen -f -- "$cur")
    else mapfile -t COMPREPLY < <(compgen -d -- "$cur"); fi
    return
    ;;
  --baseline) mapfile -t COMPREPLY < <(compgen -f -X '!*.h5' -- "$cur"; compgen -d -- "$cur"); return ;;
  --model) mapfile -t COMPREPLY < <(compgen -d -- "$cur"); return ;;
  --weights | --calib) mapfile -t COMPREPLY < <(compgen -f -X '!*.safetensors' -- "$cur"; compgen -d -- "$cur"); return ;;
  --junit | --html | --costs | --lengths | -o) mapfile -t COMPREPLY < <(compgen -f -- "$cur"); return ;;
  --set | --only | --name | --targets | --layers | --tokens | --percdamp | --tolerance | --seed | --ranks | --band | --atol | --tensor | --bits | --group-size | --budget) return ;;
  esac
  if [[ $cur == -* ]]; then
    mapfile -t COMPREPLY < <(compgen -W "$(_fidrun_options "$cmd")" -- "$cur")
    return
  fi
  case $cmd in
  fidrun)
    if [ "$COMP_CWORD" -eq 1 ]; then
      mapfile -t COMPREPLY < <(compgen -W "$_fidrun_commands" -- "$cur")
    fi
    mapfile -t -O "${#COMPREPLY[@]}" COMPREPLY < <(compgen -f -X '!*.y*ml' -- "$cur"; compgen -d -- "$cur")
    ;;
  run | validate) mapfile -t COMPREPLY < <(compgen -f -X '!*.y*ml' -- "$cur"; compgen -d -- "$cur") ;;
  history) mapfile -t COMPREPLY < <(compgen -d -- "$cur") ;;
  compare | report) mapfile -t COMPREPLY < <(compgen -f -X '!*.h5' -- "$cur"; compgen -d -- "$cur") ;;
  *) mapfile -t COMPREPLY < <(compgen -f -- "$cur") ;;
  esac
}
complete -o filenames -F _fidrun fidrun
