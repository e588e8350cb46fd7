#!/bin/sh
# Runs from the previous revision: says which deployment stops it.
echo "stopping for $DEPLOYMENT_ID"
