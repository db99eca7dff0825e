import { tensileProject } from '../../config/vitest.project';

export default tensileProject('@tensile/app-mnist-cnn');
