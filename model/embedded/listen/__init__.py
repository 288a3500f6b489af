"""Speech in: Whisper ASR, transcription from the first pause, and a session's incoming audio."""
