// A separate process running one deployment (its request as JSON in argv), so that a test can
// kill it mid-hook as an agent would be killed.
import { runInstanceDeployment, type InstanceDeploymentRequest } from '../../src/deploy/instance-deployment.js';

const deployment = JSON.parse(process.argv[2] ?? '{}') as InstanceDeploymentRequest;
void runInstanceDeployment(deployment, {});
