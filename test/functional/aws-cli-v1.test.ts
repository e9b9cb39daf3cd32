/** The aws CLI v1 against a Trent server: see test/helpers/aws-cli-suite.ts. */
import { awsCliSuite } from '../helpers/aws-cli-suite.js';

awsCliSuite(1);
