"""The Telegram gateway on python-telegram-bot: talks to Telegram and to Rasa.

Nothing here imports `rasa`; Rasa is reached over HTTP through `rahnama_core.channel.RasaClient`.
"""
