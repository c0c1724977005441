const bool return = 0
