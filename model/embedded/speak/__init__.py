"""Speech out: the voice catalogue, Kokoro and Piper, phrases cut from streamed text, cached and joined phrases."""
