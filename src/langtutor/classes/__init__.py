"""Classes: a teacher's class of learners, its join code, the sets assigned to it and what the
teacher sees of each member's study."""
