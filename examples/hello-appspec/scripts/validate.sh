#!/bin/sh
# The installed page must be there and readable.
grep -q "hello from nagare" /tmp/nagare-hello/www/index.html
