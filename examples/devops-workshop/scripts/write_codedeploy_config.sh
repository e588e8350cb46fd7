#!/bin/sh
# ApplicationStart, first script (as root): records the hook variables CodeDeploy gives every script.
set -e
mkdir -p /var/codedeploy/webapp
cat > /var/codedeploy/webapp/env.properties <<PROPERTIES
APPLICATION_NAME=$APPLICATION_NAME
DEPLOYMENT_GROUP_NAME=$DEPLOYMENT_GROUP_NAME
DEPLOYMENT_ID=$DEPLOYMENT_ID
PROPERTIES
cat /var/codedeploy/webapp/env.properties
