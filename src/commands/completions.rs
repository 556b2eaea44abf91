//! `mynawatch completions SHELL`: print a shell completion script (clap_complete) to stdout.

use std::io::Write;
use std::process::ExitCode;

use clap::CommandFactory;
use clap_complete::Shell;

use super::Cli;

/// Print the completion script for SHELL to stdout (`make install` puts them where shells look).
#[derive(Debug, clap::Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: Shell,
}

pub fn run(args: CompletionsArgs) -> anyhow::Result<ExitCode> {
    let mut out = Vec::new();
    render(args.shell, &mut out);
    super::common::write_stdout(&out)?;
    Ok(ExitCode::SUCCESS)
}

/// The completion script for `shell`, for the binary name `mynawatch`: clap_complete's static script,
/// plus (bash, zsh, fish) the remembered cards for every CARD argument, asked from the running daemon
/// with the hidden `mynawatch __complete-cards`. clap_complete's own dynamic completion is still behind
/// its `unstable-dynamic` feature (4.6), and would make every key press run the binary.
pub fn render(shell: Shell, out: &mut dyn Write) {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "mynawatch", &mut script);
    let script = String::from_utf8(script).expect("clap_complete writes UTF-8");
    let script = match shell {
        Shell::Bash => format!("{script}{}", bash_cards(&card_commands())),
        Shell::Zsh => zsh_cards(&script),
        Shell::Fish => format!("{script}{}", fish_cards(&card_commands())),
        _ => script,
    };
    out.write_all(script.as_bytes())
        .expect("writing to a Vec cannot fail");
}

/// The subcommands whose first positional argument is a CARD.
pub fn card_commands() -> Vec<String> {
    Cli::command()
        .get_subcommands()
        .filter(|s| {
            s.get_positionals()
                .next()
                .and_then(|a| a.get_value_names())
                .is_some_and(|n| n.first().map(|n| n.as_str()) == Some("CARD"))
        })
        .map(|s| s.get_name().to_string())
        .collect()
}

/// A wrapper around clap's `_mynawatch`: the word right after a card command is a CARD.
fn bash_cards(commands: &[String]) -> String {
    format!(
        r#"
# CARD arguments: the cards the running daemon remembers (labels and key prefixes).
_mynawatch_with_cards() {{
    local i sub="" pos=0
    for ((i = 1; i < COMP_CWORD; i++)); do
        case "${{COMP_WORDS[i]}}" in
            --lang) ((i++)) ;;
            -*) ;;
            *) if [[ -z $sub ]]; then sub=${{COMP_WORDS[i]}}; else ((pos++)); fi ;;
        esac
    done
    case "$sub" in
        {cases})
            if [[ $pos -eq 0 && ${{COMP_WORDS[COMP_CWORD]}} != -* ]]; then
                local IFS=$'\n'
                COMPREPLY=($(compgen -W "$("$1" __complete-cards 2>/dev/null | cut -f1)" -- "${{COMP_WORDS[COMP_CWORD]}}"))
                return 0
            fi
            ;;
    esac
    _mynawatch "$@"
}}
if [[ "${{BASH_VERSINFO[0]}}" -eq 4 && "${{BASH_VERSINFO[1]}}" -ge 4 || "${{BASH_VERSINFO[0]}}" -gt 4 ]]; then
    complete -F _mynawatch_with_cards -o nosort -o bashdefault -o default mynawatch
else
    complete -F _mynawatch_with_cards -o bashdefault -o default mynawatch
fi
"#,
        cases = commands.join("|")
    )
}

/// clap writes `':card -- HELP:_default'` for each CARD; complete it with `_mynawatch_cards`.
fn zsh_cards(script: &str) -> String {
    const FUNC: &str = r#"
# CARD arguments: the cards the running daemon remembers (labels and key prefixes).
_mynawatch_cards() {
    local -a cards
    local line
    for line in ${(f)"$(${words[1]} __complete-cards 2>/dev/null)"}; do
        cards+=("${${line%%$'\t'*}//:/\\:}:${line#*$'\t'}")
    done
    _describe -t cards 'card' cards
}
"#;
    let mut out = String::with_capacity(script.len() + FUNC.len());
    for line in script.split_inclusive('\n') {
        if line.starts_with("':card -- ") || line.starts_with("'::card -- ") {
            out.push_str(&line.replacen(":_default'", ":_mynawatch_cards'", 1));
        } else {
            out.push_str(line);
        }
        if line.starts_with("autoload -U is-at-least") {
            out.push_str(FUNC);
        }
    }
    out
}

fn fish_cards(commands: &[String]) -> String {
    format!(
        r#"
# CARD arguments: the cards the running daemon remembers (labels and key prefixes).
function __fish_mynawatch_wants_card
    set -l args (commandline -opc)
    set -e args[1]
    set -l sub ""
    set -l skip 0
    for a in $args
        if test $skip -eq 1
            set skip 0
            continue
        end
        switch $a
            case --lang
                set skip 1
            case '-*'
            case '*'
                test -n "$sub"; and return 1
                set sub $a
        end
    end
    test -n "$sub"
end
function __fish_mynawatch_cards
    set -l cmd (commandline -opc)
    $cmd[1] __complete-cards 2>/dev/null
end
complete -c mynawatch -n "__fish_mynawatch_using_subcommand {commands}; and __fish_mynawatch_wants_card" -f -a "(__fish_mynawatch_cards)"
"#,
        commands = commands.join(" ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn script(shell: Shell) -> String {
        let mut out = Vec::new();
        render(shell, &mut out);
        String::from_utf8(out).expect("utf-8")
    }

    #[test]
    fn every_shell_gets_a_script_naming_the_subcommands() {
        for shell in [Shell::Bash, Shell::Zsh, Shell::Fish] {
            let s = script(shell);
            assert!(s.contains("mynawatch"), "{shell}: {s}");
            assert!(s.contains("completions"), "{shell} lacks a subcommand");
            assert!(s.contains("check"), "{shell} lacks a subcommand");
        }
        assert!(script(Shell::Bash).contains("complete -F"));
        assert!(script(Shell::Zsh).starts_with("#compdef mynawatch"));
    }

    #[test]
    fn card_arguments_complete_from_the_daemon_in_bash_zsh_and_fish() {
        let commands = card_commands();
        for c in ["label", "registered", "card-expires", "forget", "calendar"] {
            assert!(commands.iter().any(|x| x == c), "{c} not in {commands:?}");
        }
        let bash = script(Shell::Bash);
        assert!(bash.contains("complete -F _mynawatch_with_cards"), "{bash}");
        assert!(
            bash.contains("label|registered|card-expires|forget"),
            "{bash}"
        );
        let zsh = script(Shell::Zsh);
        let specs = zsh.matches(":_mynawatch_cards'").count();
        assert_eq!(specs, commands.len(), "one CARD spec per card command");
        assert!(
            !zsh.lines()
                .any(|l| l.starts_with("':card -- ") && l.contains(":_default'")),
            "a CARD spec still completes files"
        );
        assert!(zsh.contains("_mynawatch_cards() {"));
        let fish = script(Shell::Fish);
        assert!(
            fish.contains("__fish_mynawatch_using_subcommand label registered card-expires forget"),
            "{fish}"
        );
    }
}
