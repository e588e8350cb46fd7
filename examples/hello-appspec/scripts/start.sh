#!/bin/sh
# Records who deployed what, as the AWS DevOps Essentials workshop does.
echo "APPLICATION_NAME=$APPLICATION_NAME DEPLOYMENT_GROUP_NAME=$DEPLOYMENT_GROUP_NAME DEPLOYMENT_ID=$DEPLOYMENT_ID" > /tmp/nagare-hello/deployment.txt
echo "started $APPLICATION_NAME"
