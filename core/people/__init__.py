"""Who is here and what they do: members, activity, people and dialogs."""
