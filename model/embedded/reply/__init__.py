"""What the persona says: packaged brains (chat models), the prompt, the history, and a reply's plan and writing.

A reply is planned (`plan`: language, length, sampling), written (`write`: the chat model's stream cut into
phrases) and then spoken by `speak/`.
"""
