"""``python -m rnnlab.grading.gradescope``: what run_autograder runs."""

from rnnlab.grading.gradescope.run import main

main()
