"""Conversations: role-play in which the learner types their part and the model corrects it."""
