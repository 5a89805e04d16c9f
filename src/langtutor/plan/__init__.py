"""Study plans: the syllabus (units per CEFR level, shipped as data) and a learner's plan,
whose steps Today walks through."""
