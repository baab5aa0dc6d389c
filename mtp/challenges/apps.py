from django.apps import AppConfig


class ChallengesConfig(AppConfig):
    name = "mtp.challenges"
    label = "challenges"
    verbose_name = "Challenges"
