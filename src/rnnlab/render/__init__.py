"""The lab's answers shown: the terminal's and the page's blocks, HTML tables, the report
page, the plots and everything ``rnnlab run`` writes."""
