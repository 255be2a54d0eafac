/* reload-message.c */
#include "reload-message.h"
