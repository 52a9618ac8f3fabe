"""The channel-independent steps every channel's messages go through: guard → moderate →
trigger → human? → answer → deliver → record (``messages``), ``/ask`` (``ask``), the shared
answering and recording (``converse``), and the ports a channel's adapter implements
(``port``). Discord's adapter is ``integrations.discordbot``; a second channel would call
the same steps with its own port and server directory."""
