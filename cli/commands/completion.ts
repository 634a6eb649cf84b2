/**
 * `jmp completion bash|zsh|fish` prints a completion script; the script asks
 * `jmp __complete WORDS...` (answered by main.ts before any parsing) for candidates, which
 * {@linkcode completions} finds in this program's own command tree.
 */
import { Argument, Command } from "commander";

const SCRIPTS: Record<string, string> = {
  bash: `_jmp_completion() {
    local IFS=$'\\n'
    COMPREPLY=( $(jmp __complete "\${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null) )
}
complete -o default -F _jmp_completion jmp
`,
  zsh: `#compdef jmp
_jmp() {
    local -a candidates
    candidates=("\${(@f)$(jmp __complete "\${(@)words[2,CURRENT]}" 2>/dev/null)}")
    compadd -a candidates
}
compdef _jmp jmp
`,
  fish: `function __jmp_complete
    set -l tokens (commandline -opc) (commandline -ct)
    jmp __complete $tokens[2..-1] 2>/dev/null
end
complete -c jmp -f -a '(__jmp_complete)'
`,
};

/** Names and flags that may follow `words` (the last one being typed) in `program`. */
export function completions(program: Command, words: string[]): string[] {
  const typed = words.at(-1) ?? "";
  let command = program;
  for (const word of words.slice(0, -1)) {
    const next = command.commands.find((c) => c.name() === word || c.aliases().includes(word));
    if (next) command = next;
  }
  const candidates = [
    ...command.commands.filter((c) => !c.name().startsWith("_")).map((c) => c.name()),
    ...command.options.flatMap((o) => [o.long, o.short]).filter((f): f is string => !!f),
  ];
  return candidates.filter((c) =>
    c.startsWith(typed) && (typed.startsWith("-") || !c.startsWith("-"))
  )
    .sort();
}

export function completionCommand(): Command {
  return new Command("completion")
    .description("Generate shell completion script")
    .addArgument(new Argument("<shell>").choices(["bash", "zsh", "fish"]))
    .action((shell: string) => {
      Deno.stdout.writeSync(new TextEncoder().encode(SCRIPTS[shell]!));
    });
}
