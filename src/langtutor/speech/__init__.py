"""Speech: the target language read aloud, offline with eSpeak NG or with a provider voice."""
