"""Names vulture cannot see used: click registers commands by decorator, and a few
public names are part of the records' and errors' interface."""
# ruff: noqa
import shlex

from gitorch.cli import agents_cmds, demo_cmds, enforce_cmds, manifest_cmds
from gitorch import errors, records

demo_cmds.demo          # click commands: registered on the group by their decorator
enforce_cmds.hook_run
agents_cmds.agents_setup
agents_cmds.doctor
shlex.shlex.whitespace  # set on a lexer (gitorch.agents.shell), read by shlex itself
shlex.shlex.whitespace_split
shlex.shlex.commenters
enforce_cmds.check
manifest_cmds.validate
errors.EXIT_OK          # the exit codes are named together, 0 included
records.QualityResult.gates_passed   # a record's public property (reports, tests)
manifest_cmds.schema
from gitorch.cli import integrate_cmds
from gitorch.manifest import records as manifest_records
from gitorch.report import html

integrate_cmds.prune
manifest_cmds.init
manifest_records.Gates.coverage_omit_defaults   # kept on the record: the manifest said so
html._Card.figure                               # read by the page template
from gitorch.agents import jsonio

jsonio._Context.strict               # read by _json.make_scanner, as from a json.JSONDecoder
jsonio._Context.object_hook
jsonio._Context.object_pairs_hook
jsonio._Context.parse_float
jsonio._Context.parse_int
jsonio._Context.parse_constant
