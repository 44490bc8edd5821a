"""The Rasa SDK action server: every answer comes from content/ in the conversation's language.

Actions are grouped by feature area: catalogue answers (catalogue.py), conversation behaviours
(conversation.py), handover and emergencies (handover.py). Nothing here imports `rasa`.
"""
