from .commands.cli import command

command()
